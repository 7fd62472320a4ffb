// Inputs found by the libFuzzer targets (fuzz/) that crashed or hit undefined behaviour: each now reads cleanly or
// throws an exception that names the problem. Under scripts/sanitize these also prove the UB is gone.
#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "algorithms/ptq_run.hpp"
#include "apps/tensor_io.hpp"
#include "experiments/result_store.hpp"
#include "experiments/sweep_spec.hpp"
#include "formats/format.hpp"
#include "formats/packed.hpp"
#include "model/safetensors.hpp"
#include "sim/arch.hpp"

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

// Found reviewing the .npy reader beside fuzz_tensor_io (whose inputs stay under 4 KB): std::regex recursed once per
// header character and a 60,000-character descr (a version 1 header holds up to 65,535) overflowed the stack.
TEST(FuzzRegression, NpyWithLongHeaderValueThrows) {
  // A version 1 .npy: magic, 1.0, the header length (u16), the header, then one float32 (zero).
  auto npy = [](const std::string& h) {
    std::vector<std::uint8_t> b(10 + h.size() + 4, 0);
    const std::uint8_t magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(h.size() & 0xff),
                                    static_cast<std::uint8_t>(h.size() >> 8)};
    std::memcpy(b.data(), magic, 10);
    std::memcpy(b.data() + 10, h.data(), h.size());
    return b;
  };
  const FuzzInput in("long.npy", npy("{'descr': '" + std::string(60000, 'x') + "', 'fortran_order': False, 'shape': (1,), }\n"));
  expect_error<std::runtime_error>([&] { (void)cli::read_tensor(in.path()); }, "is not little-endian float32");
  // The same header with a float32 descr reads; Fortran order and a shape wider than the file are refused.
  for (const auto& [descr, shape, fortran, error] :
       std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {"<f4", "1,", "False", ""},
           {"<f4", "1,", "True", "Fortran-order"},
           {"<f4", "99999999999999999999999", "False", "larger than the file"}}) {
    const FuzzInput f("h.npy", npy("{'descr' : '" + descr + "', 'fortran_order':\t" + fortran + ", 'shape': (" + shape + "), }\n"));
    if (error.empty()) EXPECT_EQ(cli::read_tensor(f.path()).shape, std::vector<std::size_t>{1});
    else expect_error<std::runtime_error>([&] { (void)cli::read_tensor(f.path()); }, error);
  }
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

// --- fuzz_sweep_spec, fuzz_arch_config, fuzz_result_store ---

namespace {
// A scratch directory holding the (empty) files the default spec sections name, for parse_spec.
class SpecDir {
 public:
  SpecDir() : dir_(fs::temp_directory_path() / ("mxlab-fuzz-regression-spec-" + std::to_string(::getpid()))) {
    std::vector<fs::path> files = {"models/stories260K.bin", "models/tok512.bin"};
    for (const auto& [name, file] : algorithms::kDefaultEvalTexts) files.push_back(file);
    for (const fs::path& f : files) {
      fs::create_directories((dir_ / f).parent_path());
      std::ofstream(dir_ / f).put('x');
    }
  }
  ~SpecDir() { fs::remove_all(dir_); }
  experiments::SweepSpec parse(const std::string& text) const { return experiments::parse_spec(text, dir_ / "s.toml", dir_); }

 private:
  fs::path dir_;
};

std::string arch_text(const std::string& array, const std::string& sram_kib = "64", const std::string& dram = "gbps = 10") {
  std::string sram;
  for (const char* w : {"weight", "activation", "output"})
    sram += std::string("[sram.") + w + "]\nkib = " + sram_kib + "\nbanks = 4\nbytes_per_cycle = 16\n";
  return "[array]\n" + array + "\ndataflow = \"weight_stationary\"\n" + sram + "[dram]\n" + dram +
         "\nlatency_cycles = 10\nburst_bytes = 64\n";
}
}  // namespace

// A grid of 4 axes x 200 block sizes names 1.6e9 points: it is refused before any is built (it took minutes and
// gigabytes), and the spec_test sizes still parse.
TEST(FuzzRegression, SweepGridWithTooManyPointsThrows) {
  const SpecDir d;
  std::string blocks = "[";
  for (int b = 0; b < 200; ++b) blocks += std::to_string(b) + ",";
  blocks.back() = ']';
  const std::string grid = "[grid]\nweights = [\"mxint8\", \"mxint4\", \"nvfp4\", \"int4\"]\nblock = " + blocks +
                           "\nact_block = " + blocks + "\n";
  expect_error<experiments::SpecError>([&] { (void)d.parse(grid); }, "more than 10000 points");
  EXPECT_EQ(d.parse("[grid]\nweights = [\"mxint8\", \"mxint4\"]\nblock = [0, 16]\n").points.size(), 4u);
}

// Integers stored as int that a 64-bit TOML integer overflows, and infinite rates, are errors, not wrapped values.
TEST(FuzzRegression, SweepSpecOutOfRangeNumbersThrow) {
  const SpecDir d;
  expect_error<experiments::SpecError>(
      [&] { (void)d.parse("[calibration]\nsamples = 4294967297\n[grid]\nweights = \"mxint8\"\n"); },
      "calibration.samples: must be <= 2147483647");
  expect_error<experiments::SpecError>(
      [&] { (void)d.parse("[hardware]\narray_rows = 4294967296\n[grid]\nweights = \"mxint8\"\n"); },
      "hardware.array_rows: must be <=");
  expect_error<experiments::SpecError>(
      [&] { (void)d.parse("[hardware]\nclock_mhz = inf\n[grid]\nweights = \"mxint8\"\n"); },
      "hardware.clock_mhz: must be a finite number > 0");
}

TEST(FuzzRegression, ArchOutOfRangeNumbersThrow) {
  EXPECT_EQ(sim::parse_arch(arch_text("rows = 8\ncols = 8\nclock_mhz = 500"), "a.toml").rows, 8);
  expect_error<sim::ArchError>([] { (void)sim::parse_arch(arch_text("rows = 4294967297\ncols = 8\nclock_mhz = 500"), "a.toml"); },
                               "array.rows: must be <= 2147483647");
  expect_error<sim::ArchError>([] { (void)sim::parse_arch(arch_text("rows = 8\ncols = 8\nclock_mhz = inf"), "a.toml"); },
                               "array.clock_mhz: must be a finite number > 0");
  expect_error<sim::ArchError>([] { (void)sim::parse_arch(arch_text("rows = 8\ncols = 8\nclock_mhz = 500", "1e307"), "a.toml"); },
                               "sram.weight.kib: is too large");
  expect_error<sim::ArchError>(
      [] { (void)sim::parse_arch(arch_text("rows = 8\ncols = 8\nclock_mhz = 1e-300", "64", "gbps = 1e300"), "a.toml"); },
      "dram.gbps: gives inf bytes per cycle");
}

// The in-memory reader (the fuzz target's entry) reads exactly what the file reader reads; bad images throw.
TEST(FuzzRegression, ResultStoreImageReadsLikeTheFile) {
  experiments::PointRecord rec;
  rec.name = "mxint8__none__rtn";
  rec.config = {{"point", {{"weights", "mxint8"}}}};
  rec.attrs = {{"status", "ok"}, {"host", "h"}};
  rec.metrics = {{"bits_per_weight", 8.25}};
  rec.layers.names = {"l0", "l1"};
  rec.layers.numbers["rows"] = {8, 4};
  const FuzzInput in("p.h5", {});
  experiments::write_point_file(in.path(), rec);
  std::ifstream f(in.path(), std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  const auto a = experiments::read_store(in.path()), b = experiments::read_store_image(bytes, "p.h5");
  ASSERT_EQ(b.points.size(), 1u);
  EXPECT_EQ(a.points[0].metrics, b.points[0].metrics);
  EXPECT_EQ(a.points[0].attrs, b.points[0].attrs);
  EXPECT_EQ(a.points[0].layers.numbers, b.points[0].layers.numbers);
  EXPECT_EQ(b.points[0].config, rec.config);
  expect_error<std::runtime_error>([] { (void)experiments::read_store_image({}, "e.h5"); }, "e.h5: not a readable mxlab result file (empty)");
  const std::vector<std::uint8_t> half(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2));
  expect_error<std::runtime_error>([&] { (void)experiments::read_store_image(half, "h.h5"); }, "h.h5: not a readable");
}

// Reviewing the result reader beside fuzz_result_store: a scalar read into one value trusted the file's dataspace (an
// `index` attribute or metric of 4 values wrote 32 bytes into 8), and a column's claimed count was allocated as is
// (a 2^30-value dataset with no storage: 8 GiB). Each file is valid HDF5; each must now be a clean error.
TEST(FuzzRegression, ResultStoreLyingShapesThrow) {
  enum Lie { index_values, metric_values, huge_column };
  for (Lie lie : {index_values, metric_values, huge_column}) {
    const FuzzInput in("lie.h5", {});
    {
      H5::FileAccPropList fapl;  // checksummed metadata (superblock v3), as the reader requires
      H5Pset_libver_bounds(fapl.getId(), H5F_LIBVER_V110, H5F_LIBVER_V110);
      H5::H5File f(in.path().string(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, fapl);
      H5::Group p = f.createGroup("points").createGroup("p");
      const H5::StrType str(H5::PredType::C_S1, 2);
      p.createAttribute("config", str, H5::DataSpace(H5S_SCALAR)).write(str, "{}");
      const hsize_t four = 4, huge = hsize_t{1} << 30;
      const std::int64_t idx[4] = {0, 1, 2, 3};
      const double v[4] = {1, 2, 3, 4};
      if (lie == index_values)
        p.createAttribute("index", H5::PredType::STD_I64LE, H5::DataSpace(1, &four)).write(H5::PredType::NATIVE_INT64, idx);
      H5::Group m = p.createGroup("metrics");
      const H5::DataSpace metric_space = lie == metric_values ? H5::DataSpace(1, &four) : H5::DataSpace(H5S_SCALAR);
      m.createDataSet("bits_per_weight", H5::PredType::IEEE_F64LE, metric_space).write(v, H5::PredType::NATIVE_DOUBLE);
      H5::Group l = p.createGroup("layers");
      if (lie == huge_column) l.createDataSet("rows", H5::PredType::IEEE_F64LE, H5::DataSpace(1, &huge));
    }
    const char* expected[] = {"attribute index of point p must hold one value, not 4",
                              "metric bits_per_weight of point p must hold one value, not 4",
                              "claims 1073741824 values, more than the file could hold"};
    expect_error<std::runtime_error>([&] { (void)experiments::read_store(in.path()); }, expected[lie]);
  }
}

// fuzz_result_store on files HDF5 writes by default (superblock version 0, no checksums): libhdf5 1.10.8 read
// freed memory (ASan heap-use-after-free inside the library) on this mutated result file, and on 35 others like it.
// The reader now checks the superblock itself and refuses every file without checksummed metadata, in one line,
// before libhdf5 parses a byte of it.
TEST(FuzzRegression, ResultStoreHdf5UseAfterFreeInputIsRefused) {
  const fs::path file = fs::path(MXLAB_FUZZ_DATA) / "hdf5-1.10.8-use-after-free.h5";
  std::ifstream f(file, std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  ASSERT_GT(bytes.size(), 1000u) << file;
  const std::string expected = ": not a readable mxlab result file (HDF5 superblock version 0; mxlab reads only "
                               "checksummed files, version 2 or 3); write it again with this mxlab";
  expect_error<std::runtime_error>([&] { (void)experiments::read_store_image(bytes, "uaf.h5"); }, "uaf.h5" + expected);
  expect_error<std::runtime_error>([&] { (void)experiments::read_store(file); }, file.string() + expected);
}

// fuzz_result_store on checksummed files, reading them with only the superblock checked: libhdf5 1.10.8 leaks the
// object header it is decoding when that header or one of its continuation blocks fails its check (LeakSanitizer,
// from H5O_protect; every corrupted object header did it). This input is a point file with bytes of another result
// file crossed over, so that a header's continuation message points at no continuation block. The reader now walks
// and checks every object header itself and refuses such files before libhdf5 reads them.
TEST(FuzzRegression, ResultStoreCorruptObjectHeaderIsRefusedBeforeHdf5) {
  const fs::path file = fs::path(MXLAB_FUZZ_DATA) / "hdf5-1.10.8-leak-on-checksum-failure.h5";
  expect_error<std::runtime_error>([&] { (void)experiments::read_store(file); },
                                   file.string() + ": not a readable mxlab result file (bad HDF5 continuation block)");
}
