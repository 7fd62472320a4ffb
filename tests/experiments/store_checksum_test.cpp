// The result store writes only checksummed HDF5 (superblock v3, v2 object headers, compact links/attributes,
// fixed-length strings, raw data in the header or in a Fletcher-32 chunk) and refuses anything else before libhdf5
// parses it: lookup3 against its published vectors and libhdf5's own, every single-byte corruption of a written
// file refused or harmless, old (superblock v0) files refused in one line and recomputed by a resumed sweep.
#include <H5Cpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>

#include "experiments/h5_superblock.hpp"
#include "experiments/result_store.hpp"
#include "experiments/runner.hpp"
#include "test_util.hpp"

// libhdf5's lookup3 (H5checksum.c, exported by the shared library): an independent implementation to compare with.
extern "C" std::uint32_t H5_checksum_lookup3(const void* key, std::size_t length, std::uint32_t initval);

namespace mxlab::experiments {
namespace {

using namespace test;

std::vector<std::uint8_t> bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
std::span<const std::uint8_t> text_bytes(const char* s) { return {reinterpret_cast<const std::uint8_t*>(s), std::strlen(s)}; }

// The message of the std::runtime_error `f` throws ("" if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

PointRecord small_point(const std::string& name, std::size_t index) {
  PointRecord r;
  r.name = name;
  r.index = index;
  r.config = {{"point", {{"weights", "mxint8"}}}, {"session", {{"model", "m.bin"}}}};
  r.attrs = {{"status", "ok"}, {"host", "h"}, {"error", ""}};
  r.metrics = {{"bits_per_weight", 8.25}, {"tinystories.ppl", 3.6}};
  r.layers.names = {"layers.0.wq", "layers.0.wk"};
  r.layers.text["weights"] = {"mxint8", ""};
  r.layers.numbers["rows"] = {8, 4};
  r.blocks.names = {"layers.0"};
  r.blocks.numbers["residual_rel_error"] = {0.01};
  return r;
}

void expect_same(const StoreContents& a, const StoreContents& b) {
  EXPECT_EQ(a.attrs, b.attrs);
  ASSERT_EQ(a.points.size(), b.points.size());
  for (std::size_t i = 0; i < a.points.size(); ++i) {
    const PointRecord &p = a.points[i], &q = b.points[i];
    EXPECT_EQ(p.name, q.name);
    EXPECT_EQ(p.index, q.index);
    EXPECT_EQ(p.config, q.config);
    EXPECT_EQ(p.attrs, q.attrs);
    EXPECT_EQ(p.metrics, q.metrics);
    EXPECT_EQ(p.layers.names, q.layers.names);
    EXPECT_EQ(p.layers.text, q.layers.text);
    EXPECT_EQ(p.layers.numbers, q.layers.numbers);
    EXPECT_EQ(p.blocks.names, q.blocks.names);
    EXPECT_EQ(p.blocks.numbers, q.blocks.numbers);
  }
}

// lookup3.c's self-test (driver5) vectors, and libhdf5's implementation on every length 0..200 (all tail cases).
TEST(StoreChecksum, Lookup3MatchesPublishedVectorsAndLibhdf5) {
  EXPECT_EQ(lookup3_hashlittle({}, 0), 0xdeadbeefu);
  EXPECT_EQ(lookup3_hashlittle({}, 0xdeadbeef), 0xbd5b7ddeu);
  EXPECT_EQ(lookup3_hashlittle(text_bytes("Four score and seven years ago"), 0), 0x17770551u);
  EXPECT_EQ(lookup3_hashlittle(text_bytes("Four score and seven years ago"), 1), 0xcd628161u);
  std::mt19937 rng(5);
  std::vector<std::uint8_t> buf(200);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t n = 0; n <= buf.size(); ++n)
    for (std::uint32_t init : {0u, 0x9e3779b9u})
      EXPECT_EQ(lookup3_hashlittle(std::span(buf).first(n), init), H5_checksum_lookup3(buf.data(), n, init)) << n;
}

// What the writer produces: superblock version 3, a checksum check_superblock accepts, and the same bytes for the
// same point (no timestamps).
TEST(StoreChecksum, WrittenFilesHaveAChecksummedSuperblock) {
  ScratchDir d;
  write_point_file(d / "a.h5", small_point("p", 0));
  write_point_file(d / "b.h5", small_point("p", 0));
  const auto a = bytes_of(d / "a.h5");
  ASSERT_GE(a.size(), kSuperblockBytes);
  EXPECT_EQ(a[8], 3);
  EXPECT_NO_THROW(check_superblock(a, a.size(), "a.h5"));
  EXPECT_EQ(a, bytes_of(d / "b.h5"));
}

// Every single-byte corruption of a point file and of a merged file is refused with a runtime_error or reads back
// exactly what the intact file holds (bytes libhdf5 never reads): nothing unchecked reaches the reader.
TEST(StoreChecksum, EverySingleByteCorruptionIsRefusedOrHarmless) {
  ScratchDir d;
  write_point_file(d / "p0.h5", small_point("a", 0));
  PointRecord failed = small_point("b", 1);
  failed.attrs["status"] = "failed", failed.blocks = {};
  write_point_file(d / "p1.h5", failed);
  merge_point_files(d / "r.h5", {{"format", kStoreFormat}, {"sweep", "s"}}, {d / "p0.h5", d / "p1.h5"});
  for (const char* f : {"p0.h5", "r.h5"}) {
    std::vector<std::uint8_t> bytes = bytes_of(d / f);
    const StoreContents intact = read_store_image(bytes, f);
    std::size_t refused = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] ^= 0x5a;
      try {
        expect_same(intact, read_store_image(bytes, f));
      } catch (const std::runtime_error&) {
        ++refused;
      }
      bytes[i] ^= 0x5a;
      if (HasFailure()) FAIL() << f << ": corrupting byte " << i << " changed what was read";
    }
    EXPECT_GT(refused, bytes.size() * 9 / 10) << f << " (" << bytes.size() << " bytes)";
    std::printf("%s: %zu bytes, %zu single-byte corruptions refused, the rest read back unchanged\n", f, bytes.size(), refused);
  }
}

// A column too big for the object header goes to one Fletcher-32-checked chunk: it round-trips, and a corrupted
// value in it is refused, not read.
TEST(StoreChecksum, LargeColumnIsChecksummedToo) {
  ScratchDir d;
  PointRecord p = small_point("big", 0);
  p.layers.names.assign(5000, "layers.0.wq");
  p.layers.text.clear();
  p.layers.numbers["rows"].resize(5000);
  for (std::size_t i = 0; i < 5000; ++i) p.layers.numbers["rows"][i] = 0.5 + static_cast<double>(i);
  write_point_file(d / "p.h5", p);
  std::vector<std::uint8_t> bytes = bytes_of(d / "p.h5");
  EXPECT_EQ(read_store_image(bytes, "p.h5").points.at(0).layers.numbers, p.layers.numbers);
  double v = 2500.5;  // find the stored double and flip one of its bits
  const auto at = std::search(bytes.begin(), bytes.end(), reinterpret_cast<const std::uint8_t*>(&v),
                              reinterpret_cast<const std::uint8_t*>(&v) + sizeof v);
  ASSERT_NE(at, bytes.end());
  at[3] ^= 1;
  EXPECT_NE(error_of([&] { (void)read_store_image(bytes, "p.h5"); }).find("p.h5: not a readable mxlab result file"),
            std::string::npos);
}

// A file written by an older mxlab (HDF5's default superblock version 0, unchecksummed) is refused in one line
// before libhdf5 sees it; so are other files, truncated ones, and a checksummed file holding variable-length strings.
TEST(StoreChecksum, UncheckedFilesAreRefusedInOneLine) {
  ScratchDir d;
  {
    H5::H5File f((d / "old.h5").string(), H5F_ACC_TRUNC);
    f.createGroup("points");
  }
  EXPECT_EQ(error_of([&] { (void)read_store(d / "old.h5"); }),
            (d / "old.h5").string() + ": not a readable mxlab result file (HDF5 superblock version 0; mxlab reads only "
                                      "checksummed files, version 2 or 3); write it again with this mxlab");
  write_text(d / "x.h5", "not hdf5");
  EXPECT_EQ(error_of([&] { (void)read_store(d / "x.h5"); }),
            (d / "x.h5").string() + ": not a readable mxlab result file (no HDF5 signature at offset 0)");
  write_point_file(d / "p.h5", small_point("p", 0));
  std::vector<std::uint8_t> bytes = bytes_of(d / "p.h5");
  EXPECT_EQ(error_of([&] { (void)read_store_image(std::span(bytes).first(40), "t.h5"); }),
            "t.h5: not a readable mxlab result file (truncated inside the HDF5 superblock)");
  EXPECT_NE(error_of([&] { (void)read_store_image(std::span(bytes).first(bytes.size() - 1), "t.h5"); })
                .find("t.h5: not a readable mxlab result file (truncated: its HDF5 superblock says"),
            std::string::npos);
  bytes[30] ^= 1;  // the end-of-file address, under the superblock checksum
  EXPECT_EQ(error_of([&] { (void)read_store_image(bytes, "c.h5"); }), "c.h5: not a readable mxlab result file (corrupt HDF5 superblock: checksum mismatch)");
  {
    H5::FileAccPropList fapl;
    H5Pset_libver_bounds(fapl.getId(), H5F_LIBVER_V110, H5F_LIBVER_V110);
    H5::H5File f((d / "vlen.h5").string(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, fapl);
    H5::Group p = f.createGroup("points").createGroup("p");
    const H5::StrType vlen(H5::PredType::C_S1, H5T_VARIABLE);
    p.createAttribute("config", vlen, H5::DataSpace(H5S_SCALAR)).write(vlen, std::string("{}"));
  }
  EXPECT_NE(error_of([&] { (void)read_store(d / "vlen.h5"); }).find("attribute config is a variable-length string"),
            std::string::npos);
}

// A no-op stage: the sweep below needs points, not numbers.
class NoopStage : public PointStage {
 public:
  std::string_view name() const override { return "noop"; }
  void run(const StageContext&, PointRecord& rec) const override { rec.metrics["bits_per_weight"] = 8; }
};

// A resumed sweep that finds a point file written by an older mxlab (superblock v0) recomputes it, with a note.
TEST(StoreChecksum, SweepRecomputesAnOldPointFile) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  write_text(d / "s.toml", small_spec("weights = [\"mxint8\", \"mxint4\"]"));
  const SweepSpec spec = load_spec(d / "s.toml", MXLAB_DATA_DIR);
  std::vector<std::string> log;
  SweepOptions o;
  o.out = d / "r.h5";
  o.stages = {std::make_shared<NoopStage>()};
  o.log = [&](const std::string& l) { log.push_back(l); };
  EXPECT_EQ(run_sweep(spec, o).computed, 2u);
  const fs::path old = point_dir(o.out) / (spec.points[0].name() + ".h5");
  ASSERT_TRUE(fs::exists(old));
  {
    H5::H5File f(old.string(), H5F_ACC_TRUNC);  // HDF5's defaults: superblock version 0
    f.createGroup("points").createGroup(spec.points[0].name());
  }
  log.clear();
  const SweepSummary again = run_sweep(spec, o);
  EXPECT_EQ(again.computed, 1u);
  EXPECT_EQ(again.kept, 1u);
  const std::string note = "sweep: " + old.string() + " unreadable, recomputing (" + old.string() +
                           ": not a readable mxlab result file (HDF5 superblock version 0;";
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [&](const std::string& l) { return l.rfind(note, 0) == 0; }))
      << note;
  EXPECT_EQ(read_store(o.out).points.size(), 2u);
}

}  // namespace
}  // namespace mxlab::experiments
