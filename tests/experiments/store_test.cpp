// The HDF5 store round-trips a point exactly, its per-linear and per-decoder-layer tables included (C++ reader, and
// h5py when installed); merging keeps every point.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "experiments/report.hpp"
#include "experiments/result_store.hpp"
#include "test_util.hpp"

namespace mxlab::experiments {
namespace {

using namespace test;

PointRecord sample_point(const std::string& name, std::size_t index, double base) {
  PointRecord r;
  r.name = name;
  r.index = index;
  r.config = {{"point", {{"weights", "mxfp4_e2m1"}, {"acts", "mxint8"}, {"tensor_scale", false}}},
              {"session", {{"eval_texts", {{{"name", "tinystories"}, {"sha256", "ab"}}}}}},
              {"hardware", nullptr}};
  r.attrs = {{"status", "ok"}, {"start_time", "2026-11-29T20:00:00.000Z"}, {"host", "h\xc3\xa9te"}, {"error", ""}};
  r.metrics = {{"bits_per_weight", 4.257062146892655}, {"tinystories.kld_mean", base + 1e-17 + 0.1},
               {"tinystories.ppl", base * 3.0 + 1.0 / 3.0}, {"weight_bits", 964480}};
  r.layers.names = {"layers.0.q", "layers.0.k"};
  r.layers.text["weights"] = {"mxfp4_e2m1/32", "mxint8/32"};
  r.layers.numbers["bits_per_weight"] = {4.25, 8.25};
  r.layers.numbers["rows"] = {64, 32};
  r.blocks.names = {"layers.0", "layers.1"};
  r.blocks.numbers["residual_rel_error"] = {0.0123456789012345678, 1.0 / 7.0};
  r.blocks.numbers["bits_per_weight"] = {4.257062146892655, 8.25};
  r.blocks.numbers["importance"] = {0.5, std::nan("")};
  return r;
}

void expect_same(const PointRecord& a, const PointRecord& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.attrs, b.attrs);
  EXPECT_EQ(a.metrics, b.metrics);  // bit-exact doubles
  EXPECT_EQ(a.layers.names, b.layers.names);
  EXPECT_EQ(a.layers.text, b.layers.text);
  EXPECT_EQ(a.layers.numbers, b.layers.numbers);
  EXPECT_EQ(a.blocks.names, b.blocks.names);
  ASSERT_EQ(a.blocks.numbers.size(), b.blocks.numbers.size());
  for (const auto& [key, col] : a.blocks.numbers) {  // bit for bit, NaN included
    const std::vector<double>& other = b.blocks.numbers.at(key);
    ASSERT_EQ(col.size(), other.size()) << key;
    for (std::size_t i = 0; i < col.size(); ++i)
      EXPECT_TRUE(std::memcmp(&col[i], &other[i], sizeof(double)) == 0) << key << "[" << i << "]";
  }
}

TEST(ResultStore, PointFileRoundTripsExactly) {
  ScratchDir d;
  const PointRecord p = sample_point("mxfp4_e2m1__mxint8__gptq:act_order=on+awq", 3, 0.25);
  write_point_file(d / "p.h5", p);
  const StoreContents s = read_store(d / "p.h5");
  ASSERT_EQ(s.points.size(), 1u);
  expect_same(p, s.points[0]);
  for (const auto& e : fs::directory_iterator(d.path())) EXPECT_EQ(e.path().filename(), "p.h5") << "temporary file left";
}

TEST(ResultStore, MergeKeepsEveryPointInIndexOrder) {
  ScratchDir d;
  const PointRecord a = sample_point("b_point", 0, 0.5), b = sample_point("a_point", 1, 0.75);
  write_point_file(d / "a.h5", a);
  write_point_file(d / "b.h5", b);
  merge_point_files(d / "all.h5", {{"format", kStoreFormat}, {"sweep", "t"}}, {d / "b.h5", d / "a.h5"});
  const StoreContents s = read_store(d / "all.h5");
  EXPECT_EQ(s.attrs.at("format"), kStoreFormat);
  EXPECT_EQ(s.attrs.at("sweep"), "t");
  ASSERT_EQ(s.points.size(), 2u);
  expect_same(a, s.points[0]);  // index order, not name order
  expect_same(b, s.points[1]);
}

TEST(ResultStore, NotAResultFileIsOneClearError) {
  ScratchDir d;
  write_text(d / "x.h5", "not hdf5");
  try {
    read_store(d / "x.h5");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((d / "x.h5").string() + ": not a readable mxlab result file"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(read_store(d / "missing.h5"), std::runtime_error);
}

TEST(ResultStore, H5pyReadsTheSameNumbers) {
  const std::string python = python_interpreter();
  if (std::system((python + " -c 'import h5py' 2>/dev/null").c_str()) != 0) GTEST_SKIP() << "python3-h5py not installed";
  ScratchDir d;
  const PointRecord p = sample_point("mxint4__none__rtn", 0, 0.125);
  write_point_file(d / "p.h5", p);
  // json.dumps writes repr(float): the shortest string that reads back to the same double.
  const std::string py =
      "import h5py, json, sys\n"
      "f = h5py.File(sys.argv[1], 'r'); g = f['points/mxint4__none__rtn']\n"
      "m = {k: float(v[()]) for k, v in g['metrics'].items()}\n"
      "names = [s.decode() for s in g['layers/name'][()]]\n"
      "bpw = [float(x) for x in g['layers/bits_per_weight'][()]]\n"
      "blocks = {k: [repr(float(x)) for x in v[()]] for k, v in g['blocks'].items() if k != 'name'}\n"
      "block_names = [s.decode() for s in g['blocks/name'][()]]\n"
      "text = lambda k: g.attrs[k].decode()  # fixed-length UTF-8 strings: h5py gives bytes\n"
      "print(json.dumps({'metrics': m, 'names': names, 'bpw': bpw, 'blocks': blocks, 'block_names': block_names,\n"
      "  'status': text('status'),\n"
      "  'host': text('host'), 'weights': text('weights'), 'ts': int(g.attrs['tensor_scale']),\n"
      "  'config': json.loads(text('config'))}))\n";
  write_text(d / "read.py", py);
  const std::string cmd = python + " " + (d / "read.py").string() + " " + (d / "p.h5").string();
  const std::string out = command_output(cmd);
  ASSERT_FALSE(out.empty()) << cmd;
  const nlohmann::json j = nlohmann::json::parse(out);
  for (const auto& [k, v] : p.metrics) EXPECT_EQ(j["metrics"][k].get<double>(), v) << k;
  EXPECT_EQ(j["metrics"].size(), p.metrics.size());
  EXPECT_EQ(j["names"].get<std::vector<std::string>>(), p.layers.names);
  EXPECT_EQ(j["bpw"].get<std::vector<double>>(), p.layers.numbers.at("bits_per_weight"));
  EXPECT_EQ(j["block_names"].get<std::vector<std::string>>(), p.blocks.names);
  ASSERT_EQ(j["blocks"].size(), p.blocks.numbers.size());
  for (const auto& [key, col] : p.blocks.numbers) {  // repr(float) is the shortest round-trip text; strtod reads it back
    const auto text = j["blocks"][key].get<std::vector<std::string>>();
    ASSERT_EQ(text.size(), col.size()) << key;
    for (std::size_t i = 0; i < col.size(); ++i) {
      const double v = std::strtod(text[i].c_str(), nullptr);
      EXPECT_TRUE(std::isnan(col[i]) ? std::isnan(v) : v == col[i]) << key << "[" << i << "] " << text[i];
    }
  }
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["host"], "h\xc3\xa9te");
  EXPECT_EQ(j["weights"], "mxfp4_e2m1");
  EXPECT_EQ(j["ts"], 0);
  EXPECT_EQ(j["config"], p.config);
}

}  // namespace
}  // namespace mxlab::experiments
