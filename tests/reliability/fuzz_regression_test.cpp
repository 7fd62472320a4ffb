// Inputs found by the libFuzzer targets (fuzz/) that crashed or hit undefined behaviour: each now reads cleanly or
// throws an exception that names the problem. Under scripts/sanitize these also prove the UB is gone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/tensor_io.hpp"
#include "formats/format.hpp"
#include "formats/packed.hpp"
#include "model/safetensors.hpp"

namespace fs = std::filesystem;
using namespace mxlab;

namespace {
// The fuzzer's input written to a file named `name` in a fresh temporary directory.
class FuzzInput {
 public:
  FuzzInput(const std::string& name, const std::vector<std::uint8_t>& bytes)
      : dir_(fs::temp_directory_path() / ("mxlab-fuzz-regression-" + std::to_string(::getpid()))), name_(name) {
    fs::create_directories(dir_);
    std::ofstream(path(), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  ~FuzzInput() { fs::remove_all(dir_); }
  fs::path path() const { return dir_ / name_; }

 private:
  fs::path dir_;
  std::string name_;
};

// Expects `f` to throw an exception of type E whose message contains `part`.
template <class E, class F>
void expect_error(F&& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing '" << part << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}
}  // namespace

// fuzz_tensor_io, empty input: memcpy from a null vector (UBSan: null pointer passed as argument 1).
TEST(FuzzRegression, EmptyRawTensorReadsAsNoValues) {
  const FuzzInput in("empty.f32", {});
  const auto t = cli::read_tensor(in.path());
  EXPECT_TRUE(t.values.empty());
  ASSERT_EQ(t.shape.size(), 1u);
  EXPECT_EQ(t.shape[0], 0u);
}

// The same for a valid .npy of shape (0,).
TEST(FuzzRegression, EmptyNpyTensorReadsAsNoValues) {
  const FuzzInput in("empty.npy", cli::tensor_file_bytes("empty.npy", cli::Tensor{{0}, {}}));
  EXPECT_TRUE(cli::read_tensor(in.path()).values.empty());
}

// fuzz_packed, input ff 00 03: unpack_rows with block 0 divided by zero (UBSan) in packed_row_bytes.
TEST(FuzzRegression, PackedRowsWithBlockZeroThrow) {
  const std::vector<std::uint8_t> bytes(2, 0);
  for (const auto& t : format_table()) {
    expect_error<std::invalid_argument>([&] { (void)unpack_rows(t.id, 0, bytes, 1, 3); }, "block 0");
    expect_error<std::invalid_argument>([&] { (void)packed_row_bytes(t.id, -1, 3); }, "block -1");
  }
}

// fuzz_packed: an MXLP header with block 0 and a count of about 2^62 passed the payload check (0 blocks of 0 bytes) and
// decode() tried to allocate the count (a header that claims more than the file holds must not allocate it).
TEST(FuzzRegression, MxlpHeaderWithBlockZeroThrows) {
  const std::vector<std::uint8_t> bytes = {0x4d, 0x58, 0x4c, 0x50, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                           0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x33, 0x00, 0x00, 0x67, 0x00,
                                           0x5d, 0x00, 0xff, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00};
  expect_error<std::invalid_argument>([&] { (void)deserialize(bytes); }, "block 0");
}

// The same kind of lie with a real block: 2^40 values of mxfp4_e2m1 in a 17-byte payload (one block).
TEST(FuzzRegression, MxlpHeaderCountLargerThanPayloadThrows) {
  const std::vector<float> x(32, 1.0f);
  auto bytes = serialize(encode_ref(find_format("mxfp4_e2m1").id, x));
  for (int i = 0; i < 8; ++i) bytes[12 + i] = i == 5 ? 0x01 : 0x00;  // count (u64 at offset 12) = 2^40
  expect_error<std::invalid_argument>([&] { (void)deserialize(bytes); }, "MXLP payload");
}

// Found while reviewing the safetensors reader beside its fuzzer: a shape whose element count wraps around 2^64
// ([2^32, 2^32] x 4 bytes "is" 0 bytes) matched empty data_offsets and was accepted.
TEST(FuzzRegression, SafetensorsShapeThatWrapsAroundThrows) {
  const std::string header = R"({"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})";
  std::vector<std::uint8_t> b(8);
  b[0] = static_cast<std::uint8_t>(header.size());
  b.insert(b.end(), header.begin(), header.end());
  const FuzzInput in("wrap.safetensors", b);
  expect_error<std::runtime_error>([&] { model::SafetensorsReader r(in.path()); }, "more values than the file");
}
