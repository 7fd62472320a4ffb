// The independent reference and the C++ model against the table written by hand from the rules (spec_cases.hpp):
// every rule B1-B4, A1-A5 of rtl/models/oracle_reference.hpp has a row.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "rtl/models/oracle_reference.hpp"
#include "spec_cases.hpp"

namespace mxlab::rtl {
namespace {

TEST(Reference, HandWrittenSpecTable) {
  for (const SpecCase& c : spec_cases()) {
    const BlockVector v = spec_block(c);
    AccResult r = reference::accumulate(c.f, c.acc_before, reference::exact_block(v.pair(), c.scale));
    if (c.alpha) {  // rules E1-E5
      const AccResult e = reference::tensor_scale(c.f, r.bits, *c.alpha);
      r = {e.bits, r.flags | e.flags};
    }
    EXPECT_EQ(r.bits, c.want) << c.what;
    EXPECT_EQ(r.flags, c.flags) << c.what;
  }
  RecordProperty("cases", static_cast<int>(spec_cases().size()));
}

// The model (block_value of formats/dot.hpp + acc_add of formats/accumulate.hpp, its tensor_scale) on the same table.
TEST(Model, HandWrittenSpecTable) {
  for (const SpecCase& c : spec_cases()) {
    const BlockVector v = spec_block(c);
    AccResult r = acc_add(c.f, c.acc_before, block_value(v.pair(), c.scale));
    if (c.alpha) {
      const AccResult e = tensor_scale(c.f, r.bits, *c.alpha);
      r = {e.bits, r.flags | e.flags};
    }
    EXPECT_EQ(r.bits, c.want) << c.what;
    EXPECT_EQ(r.flags, c.flags) << c.what;
  }
}

// A stream starts at +0 and clear restarts it; NaN is sticky until clear (the streaming form of rules A1-A5).
TEST(Reference, StreamClearsAndCarries) {
  auto named = [](std::string_view what) {
    for (const SpecCase& c : spec_cases())
      if (what == c.what) return spec_block(c);
    throw std::logic_error("no case named " + std::string(what));
  };
  reference::Unit u(ScaleType::e8m0);
  BlockVector one = named("1 x 1"), nan = named("E8M0 0xFF: NaN");
  one.clear = true;
  EXPECT_EQ(u.step(one.pair()).bits, 0x3F800000u);
  one.clear = false;
  EXPECT_EQ(u.step(one.pair()).bits, 0x40000000u);
  EXPECT_EQ(u.step(nan.pair()).flags, unsigned{kNanIn});
  EXPECT_EQ(u.step(one.pair()).bits, 0x7FC00000u);
  one.clear = true;
  EXPECT_EQ(u.step(one.pair()).bits, 0x3F800000u);
  EXPECT_EQ(u.coverage().steps, 5u);
  EXPECT_EQ(u.coverage().nan, 2u);
}

}  // namespace
}  // namespace mxlab::rtl
