// `--block row`: one block per row whatever its width, on layers of mixed widths (q: 32 inputs, down: 44).
#include <gtest/gtest.h>

#include "model/runtime.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

TEST(BlockRow, ParseDescribeAndErrors) {
  EXPECT_EQ(parse_block("row"), kBlockRow);
  EXPECT_EQ(parse_block("64"), 64);
  EXPECT_EQ(parse_block("0"), 0);
  for (const char* bad : {"rows", "-3", "", "12x"}) EXPECT_THROW(parse_block(bad), std::invalid_argument) << bad;
  const TensorQuant q = TensorQuant::parse("mxint4", kBlockRow);
  EXPECT_TRUE(q.per_row);
  EXPECT_EQ(q.describe(), "mxint4/row");
  EXPECT_EQ(q.block_for(172), 172);
  EXPECT_EQ(TensorQuant::parse("int4", 0).block_for(172), 32);
}

TEST(BlockRow, EveryRowIsOneBlockOnLayersOfMixedWidths) {
  const ModelConfig c = test::small_config(4, 2, true);  // hidden 86: down has 86 inputs, q 32
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(c, 4));
  QuantScheme s;
  s.linear.weight = TensorQuant::parse("int4", kBlockRow);
  Runtime rt(w, s);
  for (const LinearId id : {LinearId{0, LinearKind::q}, LinearId{1, LinearKind::down}}) {
    const Matrix& raw = w->linear(id).weight;
    Matrix want = raw;
    QuantConfig cfg;
    cfg.block = static_cast<int>(raw.cols());  // the whole row
    for (Eigen::Index r = 0; r < raw.rows(); ++r) {
      const std::span<const float> row(raw.row(r).data(), static_cast<std::size_t>(raw.cols()));
      fake_quantize(Format::int4, row, {want.row(r).data(), row.size()}, cfg);
    }
    EXPECT_EQ(rt.effective_weight(id), want) << linear_name(id);
  }
}

}  // namespace
}  // namespace mxlab::model
