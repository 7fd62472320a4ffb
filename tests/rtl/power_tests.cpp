// Tests of rtl/power/: the liberty reader against numbers read by hand from sky130_fd_sc_hd__tt_025C_1v80.lib, the
// netlist reader, VCD toggle counting, and the energy of a hand-written 2-bit counter computed by hand from the
// liberty (the simulated counts are known exactly), plus reproducibility of a random-vector run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "activity.hpp"
#include "energy.hpp"
#include "liberty.hpp"
#include "netlist.hpp"

namespace mxlab::power {
namespace {

constexpr double kNs = 1e-9, kPf = 1e-12, kPj = 1e-12, kNw = 1e-9;

const Library& sky130() {
  static const Library lib = read_liberty(MXLAB_POWER_LIBERTY);
  return lib;
}

const Pin& pin(const std::string& cell, const std::string& name) {
  const Pin* p = sky130().cell("sky130_fd_sc_hd__" + cell).find_pin(name);
  if (!p) throw std::runtime_error("no pin " + name);
  return *p;
}

const InternalPower& power_arc(const std::string& cell, const std::string& out, const std::string& related) {
  for (const InternalPower& ip : pin(cell, out).internal_power)
    if (ip.related_pin == related) return ip;
  throw std::runtime_error("no arc");
}

TEST(Liberty, LibraryUnitsVoltageAndWireLoad) {
  const Library& lib = sky130();
  // header: time_unit "1ns", capacitive_load_unit(1, "pf"), voltage_unit "1V", leakage_power_unit "1nW"
  EXPECT_DOUBLE_EQ(lib.units.time_s, 1e-9);
  EXPECT_DOUBLE_EQ(lib.units.capacitance_f, 1e-12);
  EXPECT_DOUBLE_EQ(lib.units.voltage_v, 1.0);
  EXPECT_DOUBLE_EQ(lib.units.leakage_w, 1e-9);
  EXPECT_DOUBLE_EQ(lib.units.energy_j(), 1e-12);  // internal power tables in pF * V^2 = pJ
  EXPECT_DOUBLE_EQ(lib.nominal_voltage_v, 1.8);   // nom_voltage : 1.8000000000
  // default_wire_load : "Small"; capacitance : 1.42e-05; slope : 8.3631; fanout_length(1, 23.2746) ... (6, 84.2649)
  const WireLoad* wl = lib.default_wire_load_model();
  ASSERT_NE(wl, nullptr);
  EXPECT_EQ(wl->name, "Small");
  EXPECT_DOUBLE_EQ(wl->slope, 8.3631);
  EXPECT_DOUBLE_EQ(wl->capacitance_f(0), 0.0);
  EXPECT_NEAR(wl->capacitance_f(1), 23.2746 * 1.42e-05 * kPf, 1e-24);
  EXPECT_NEAR(wl->capacitance_f(3), 48.4862 * 1.42e-05 * kPf, 1e-24);
  EXPECT_NEAR(wl->capacitance_f(8), (84.2649 + 2 * 8.3631) * 1.42e-05 * kPf, 1e-24);  // beyond the table: slope
}

TEST(Liberty, Inverter) {  // cell ("sky130_fd_sc_hd__inv_1")
  const Cell& inv = sky130().cell("sky130_fd_sc_hd__inv_1");
  EXPECT_DOUBLE_EQ(inv.area, 3.7536);
  EXPECT_NEAR(inv.leakage_w, 0.0053266820 * kNw, 1e-22);  // cell_leakage_power (mean of the two `when` states)
  EXPECT_NEAR(inv.leakage_w, (0.0104575 + 0.0001958) / 2 * kNw, 1e-7 * kNw);  // to the file's rounding
  EXPECT_FALSE(inv.sequential);
  const Pin& a = pin("inv_1", "A");
  EXPECT_EQ(a.direction, Direction::kInput);
  EXPECT_NEAR(a.capacitance_f, 0.0023020000 * kPf, 1e-22);
  EXPECT_NEAR(a.rise_capacitance_f, 0.0023900000 * kPf, 1e-22);
  EXPECT_NEAR(a.fall_capacitance_f, 0.0022140000 * kPf, 1e-22);
  const InternalPower& y = power_arc("inv_1", "Y", "A");
  // Y rise_power: index_1 (transition) 0.01, 0.02305058, ...; index_2 (load) 0.0005, 0.001335165, 0.003565333, ...
  EXPECT_NEAR(y.rise.lookup(0.01 * kNs, 0.0005 * kPf), 0.0077341 * kPj, 1e-20);  // row 1, column 1
  EXPECT_NEAR(y.rise.lookup(0.02305058 * kNs, 0.003565333 * kPf), 0.0128048 * kPj, 1e-20);  // row 2, column 3
  EXPECT_NEAR(y.fall.lookup(1.5 * kNs, 0.1812843 * kPf), -0.2941599 * kPj, 1e-20);  // fall_power row 7, column 7
  // bilinear at the centre of the first cell: the mean of its corners
  const double mid = (0.0077341 + 0.0092285 + 0.0075137 + 0.0089827) / 4;
  EXPECT_NEAR(y.rise.lookup((0.01 + 0.02305058) / 2 * kNs, (0.0005 + 0.001335165) / 2 * kPf), mid * kPj, 1e-19);
  // linear extrapolation beyond the last load (row 1: 0.1169039 at 0.0678883500, 0.2980101 at 0.1812843)
  const double ext = 0.2980101 + (0.25 - 0.1812843) * (0.2980101 - 0.1169039) / (0.1812843 - 0.06788835);
  EXPECT_NEAR(y.rise.lookup(0.01 * kNs, 0.25 * kPf), ext * kPj, 1e-19);
  // rise_transition ("del_1_7_7") related A: row 1, column 1
  ASSERT_EQ(a.timing.size(), 0u);
  const TimingArc& t = pin("inv_1", "Y").timing.at(0);
  EXPECT_EQ(t.related_pins, std::vector<std::string>{"A"});
  EXPECT_NEAR(t.rise_transition.lookup(0.01 * kNs, 0.0005 * kPf), 0.0145424 * kNs, 1e-19);
  EXPECT_NEAR(t.fall_transition.lookup(0.01 * kNs, 0.0005 * kPf), 0.0078064 * kNs, 1e-19);
}

TEST(Liberty, FlipFlopPins) {  // cell ("sky130_fd_sc_hd__dfrtp_2")
  const Cell& ff = sky130().cell("sky130_fd_sc_hd__dfrtp_2");
  EXPECT_TRUE(ff.sequential);
  EXPECT_DOUBLE_EQ(ff.area, 26.2752);
  EXPECT_NEAR(ff.leakage_w, 0.0106584500 * kNw, 1e-22);
  const Pin& clk = pin("dfrtp_2", "CLK");
  EXPECT_TRUE(clk.clock);
  EXPECT_NEAR(clk.capacitance_f, 0.0017960000 * kPf, 1e-22);
  ASSERT_EQ(clk.internal_power.size(), 1u);  // power_inputs_1 tables, 1-D in the input transition
  EXPECT_NEAR(clk.internal_power[0].rise.lookup(0.01 * kNs, 0), 0.0162695 * kPj, 1e-20);
  EXPECT_NEAR(clk.internal_power[0].fall.lookup(0.01 * kNs, 0), 0.0247991 * kPj, 1e-20);
  // Q: internal_power related CLK (rise_power row 1 column 1: 0.0229966) and related RESET_B (rise_power "scalar" 0)
  EXPECT_NEAR(power_arc("dfrtp_2", "Q", "CLK").rise.lookup(0.01 * kNs, 0.0005 * kPf), 0.0229966 * kPj, 1e-20);
  EXPECT_DOUBLE_EQ(power_arc("dfrtp_2", "Q", "RESET_B").rise.lookup(0.3 * kNs, 0.01 * kPf), 0.0);
}

std::string error_of(const std::string& text) {
  try {
    parse_liberty(text, "bad.lib");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Liberty, MalformedInputGivesOneLineErrors) {
  const std::string head = "library (x) {\n  nom_voltage : 1.8;\n";
  const std::string cases[][2] = {
      {head + "  cell (a) {\n    area : 1;\n", "bad.lib:4: unexpected end of file, in group cell opened at line 3"},
      {head + "  cell (a) {\n    area : big;\n  }\n}\n", "bad.lib:4: area: 'big' is not a number"},
      {head + "  time_unit : \"1furlong\";\n}\n", "bad.lib:3: unit '1furlong' is not in s"},
      {head + "  cell (a) { pin (A) { direction : input; internal_power () { rise_power (t9) { values (\"1\"); } } } }\n}\n",
       "bad.lib:3: rise_power uses undefined template 't9'"},
      {head + "  power_lut_template (t) { variable_1 : input_transition_time; index_1 (\"1, 2\"); }\n"
              "  cell (a) { pin (A) { direction : input; internal_power () { rise_power (t) { values (\"1\"); } } } }\n}\n",
       "bad.lib:4: rise_power has 1 values, its indices need 2"},
      {"library (x) {\n  cell (a) { }\n}\n", "bad.lib:1: no nom_voltage and no voltage in the default operating_conditions"},
      {"cell (a) { }\n", "bad.lib:1: the file does not start with a library group"},
  };
  for (const auto& [text, want] : cases) {
    std::string got = error_of(text);
    EXPECT_NE(got.find(want), std::string::npos) << "got: " << got;
    EXPECT_EQ(got.find('\n'), std::string::npos) << got;
  }
  EXPECT_THROW(read_liberty("/nonexistent/x.lib"), std::runtime_error);
}

// A 2-bit counter with enable and async reset, as Yosys would write it mapped onto sky130 (an assign included):
// d0 = q0 ^ en, c = q0 & en, d1 = q1 ^ c.
const char* kCounter = R"(/* hand-written 2-bit counter */
module counter2(clk, rst_n, en, \q[0] , \q[1] );
  input clk;
  wire clk;
  input rst_n;
  input en;
  output \q[0] ;
  output \q[1] ;
  wire [1:0] d;
  wire c;
  wire q1;
  sky130_fd_sc_hd__xor2_1 g0 (.A(\q[0] ), .B(en), .X(d[0]));
  sky130_fd_sc_hd__and2_1 g1 (.A(\q[0] ), .B(en), .X(c));
  sky130_fd_sc_hd__xor2_1 g2 (.A(q1), .B(c), .X(d[1]));
  sky130_fd_sc_hd__dfrtp_2 r0 (.CLK(clk), .D(d[0]), .Q(\q[0] ), .RESET_B(rst_n));
  sky130_fd_sc_hd__dfrtp_2 r1 (.CLK(clk), .D(d[1]), .Q(q1), .RESET_B(rst_n));
  assign \q[1]  = q1;
endmodule
)";

TEST(Netlist, ReadsDeclarationsInstancesAndAliases) {
  Netlist nl = parse_netlist(kCounter, "counter2.v");
  EXPECT_EQ(nl.top, "counter2");
  EXPECT_EQ(nl.instances.size(), 5u);
  EXPECT_EQ(nl.node_names.size(), 8u);  // clk rst_n en q[0] q[1]=q1 d[1] d[0] c
  EXPECT_EQ(nl.node("q[1]"), nl.node("q1"));
  EXPECT_NE(nl.node("d[0]"), nl.node("d[1]"));
  EXPECT_EQ(nl.input_ports(), (std::vector<std::string>{"clk", "rst_n", "en"}));
  EXPECT_EQ(nl.instances[3].pins[1], (std::pair<std::string, int>{"D", nl.node("d[0]")}));
  Netlist tied = parse_netlist("module t(a);\n output [1:0] a;\n assign a = 2'b10;\nendmodule\n", "t.v");
  EXPECT_EQ(tied.node_constant[tied.node("a[1]")], Netlist::kConst1);
  EXPECT_EQ(tied.node_constant[tied.node("a[0]")], Netlist::kConst0);
}

TEST(Netlist, MalformedInputGivesOneLineErrors) {
  auto err = [](const std::string& text, const std::string& top = "") {
    try { parse_netlist(text, "n.v", top); } catch (const std::runtime_error& e) { return std::string(e.what()); }
    return std::string("no error");
  };
  EXPECT_EQ(err("module m(a);\n input a;\n inv u (.A(b));\nendmodule\n"), "netlist n.v:3: 'b' is not declared");
  EXPECT_EQ(err("module m(a);\n input a;\n inv u (a);\nendmodule\n"),
            "netlist n.v:3: instance u: only named pin connections (.PIN(net)) are read");
  const std::string two = "module s(a); input a; endmodule\nmodule m(a);\n input a;\n s u (.a(a));\nendmodule\n";
  EXPECT_NE(err(two).find("several modules: name the top module"), std::string::npos);
  EXPECT_EQ(err(two, "m"), "netlist n.v:4: instance of module 's' of the same file: flatten the netlist first");
  EXPECT_NE(err("module m(a);\n input a;\n reg r;\nendmodule\n").find("n.v:3: 'reg' in a gate-level netlist"), std::string::npos);
}

TEST(Activity, VcdCountsOnlyKnownTransitions) {
  Netlist nl = parse_netlist("module m(a);\n input a;\n wire [1:0] w;\n wire b;\n assign b = a;\nendmodule\n", "m.v");
  const std::string path = std::string(MXLAB_POWER_WORK_DIR) + "/unit.vcd";
  std::filesystem::create_directories(MXLAB_POWER_WORK_DIR);
  std::ofstream(path) << "$scope module tb $end\n$scope module dut $end\n$var wire 1 ! a $end\n$var wire 1 \" b $end\n"
                         "$var wire 2 # w [1:0] $end\n$upscope $end\n$upscope $end\n$enddefinitions $end\n"
                         "#0\n$dumpvars\n1!\n1\"\nbx #\n$end\n#10\n0!\n0\"\nb1 #\n#20\nx!\nx\"\nb10 #\n#30\n1!\n1\"\nb0 #\n";
  Activity a = count_vcd_toggles(nl, path, 3);
  EXPECT_EQ(a.falls[nl.node("a")], 1);  // 1->0 at 10; 0->x and x->1 are not counted
  EXPECT_EQ(a.rises[nl.node("a")], 0);
  EXPECT_EQ(a.rises[nl.node("w[1]")], 1);  // xx (left-extended) -> 01 -> 10 -> 00
  EXPECT_EQ(a.falls[nl.node("w[1]")], 1);
  EXPECT_EQ(a.toggles(nl.node("w[0]")), 1);
}

bool have_tools() {
  return std::string(MXLAB_POWER_YOSYS).size() && std::string(MXLAB_POWER_IVERILOG).size() &&
         std::string(MXLAB_POWER_VVP).size();
}

// Simulates the counter on `en` vectors; returns the netlist and activity.
std::pair<Netlist, Activity> run_counter(const std::vector<int>& en, const std::string& tag) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(MXLAB_POWER_WORK_DIR) / tag;
  fs::create_directories(dir);
  static const std::string cells = [] {
    std::string p = std::string(MXLAB_POWER_WORK_DIR) + "/cells.v";
    write_cell_models(MXLAB_POWER_LIBERTY, p, MXLAB_POWER_YOSYS);
    return p;
  }();
  std::ofstream((dir / "counter2.v").string()) << kCounter;
  std::ofstream vec((dir / "en.hex").string());
  vec << "# en, one cycle a line\n";
  for (int e : en) vec << e << "\n";
  vec.close();
  SimulationSetup s;
  s.netlist_path = (dir / "counter2.v").string();
  s.cell_models_path = cells;
  s.reset = "rst_n";
  s.inputs = {"en"};
  s.vectors_path = (dir / "en.hex").string();
  s.work_dir = dir.string();
  s.iverilog = MXLAB_POWER_IVERILOG;
  s.vvp = MXLAB_POWER_VVP;
  Netlist nl = read_netlist(s.netlist_path);
  Activity a = simulate_activity(nl, s);
  return {std::move(nl), std::move(a)};
}

TEST(Energy, CounterTogglesAndEnergyByHand) {
  if (!have_tools()) GTEST_SKIP() << "needs yosys, iverilog and vvp";
  auto [nl, act] = run_counter(std::vector<int>(8, 1), "count8");
  ASSERT_EQ(act.cycles, 8);
  // from state 00 counting 8 cycles: q0 toggles every cycle, q1 every second; d0 = !q0, c = q0, d1 = q1 ^ q0
  const std::map<std::string, std::pair<long, long>> want = {
      {"clk", {8, 8}}, {"rst_n", {0, 0}}, {"en", {0, 0}}, {"q[0]", {4, 4}}, {"q1", {2, 2}},
      {"d[0]", {4, 4}}, {"c", {4, 4}}, {"d[1]", {2, 2}}};
  for (const auto& [net, rf] : want) {
    EXPECT_EQ(act.rises[nl.node(net)], rf.first) << net;
    EXPECT_EQ(act.falls[nl.node(net)], rf.second) << net;
  }

  EnergyOptions opt;
  opt.input_transition_s = 0.01 * kNs;  // on the tables' first index: the clock pins' lookups are exact
  opt.clock_period_s = 10 * kNs;
  EnergyReport r = compute_energy(sky130(), nl, act, opt);

  // loads: pin capacitances (pF) from the file + Small wire load 1.42e-05 * fanout_length
  const double wl = 1.42e-05;
  const double c_clk = 2 * 0.0017960 + 32.1136 * wl;             // dfrtp_2 CLK x2, fanout 2
  const double c_q0 = 0.0043770 + 0.0014620 + 48.4862 * wl;      // xor2_1 A, and2_1 A, port q[0]: fanout 3
  const double c_q1 = 0.0043770 + 32.1136 * wl;                  // xor2_1 A, port q[1]: fanout 2
  const double c_d = 0.0019770 + 23.2746 * wl;                   // dfrtp_2 D, fanout 1 (d[0] and d[1])
  const double c_c = 0.0043390 + 23.2746 * wl;                   // xor2_1 B, fanout 1
  EXPECT_NEAR(r.nodes[nl.node("clk")].load_f(), c_clk * kPf, 1e-21);
  EXPECT_NEAR(r.nodes[nl.node("q[0]")].load_f(), c_q0 * kPf, 1e-21);
  EXPECT_NEAR(r.nodes[nl.node("q1")].load_f(), c_q1 * kPf, 1e-21);
  EXPECT_NEAR(r.nodes[nl.node("c")].load_f(), c_c * kPf, 1e-21);
  const double v2 = 1.8 * 1.8;
  const double switching = 0.5 * v2 * (16 * c_clk + 8 * c_q0 + 4 * c_q1 + 8 * c_d + 8 * c_c + 4 * c_d);  // pJ
  EXPECT_NEAR(r.switching_j, switching * kPj, 1e-9 * kPj);

  // slews: the worst rise/fall_transition over the driver's arcs (dfrtp_2 Q: CLK and RESET_B, both at 0.01 ns)
  auto worst = [&](const std::string& cell, const std::string& out, const std::map<std::string, double>& in_slew_ns,
                   double load_pf) {
    double s = 0;
    for (const TimingArc& t : pin(cell, out).timing)
      for (const Table* tab : {&t.rise_transition, &t.fall_transition})
        if (!tab->empty()) s = std::max(s, tab->lookup(in_slew_ns.at(t.related_pins.at(0)) * kNs, load_pf * kPf));
    return s / kNs;
  };
  const double s_q0 = worst("dfrtp_2", "Q", {{"CLK", 0.01}, {"RESET_B", 0.01}}, c_q0);
  const double s_q1 = worst("dfrtp_2", "Q", {{"CLK", 0.01}, {"RESET_B", 0.01}}, c_q1);
  const double s_d0 = worst("xor2_1", "X", {{"A", s_q0}, {"B", 0.01}}, c_d);
  const double s_c = worst("and2_1", "X", {{"A", s_q0}, {"B", 0.01}}, c_c);
  const double s_d1 = worst("xor2_1", "X", {{"A", s_q1}, {"B", s_c}}, c_d);
  EXPECT_NEAR(r.nodes[nl.node("q[0]")].slew_s, s_q0 * kNs, 1e-18);
  EXPECT_NEAR(r.nodes[nl.node("d[1]")].slew_s, s_d1 * kNs, 1e-18);

  // internal (pJ): output arcs at (related pin's slew, output load), weighted by related-pin toggles; input pins' own
  auto e = [&](const std::string& cell, const std::string& out, const std::string& rel, bool rise, double s_ns, double c_pf) {
    const InternalPower& ip = power_arc(cell, out, rel);
    return (rise ? ip.rise : ip.fall).lookup(s_ns * kNs, c_pf * kPf) / kPj;
  };
  auto own = [&](const std::string& cell, const std::string& p, bool rise, double s_ns) {
    const InternalPower& ip = pin(cell, p).internal_power.at(0);
    return (rise ? ip.rise : ip.fall).lookup(s_ns * kNs, 0) / kPj;
  };
  double internal = 2 * 8 * (0.0162695 + 0.0247991);  // dfrtp_2 CLK rise/fall_power at 0.01 ns, two flops
  internal += 4 * (e("dfrtp_2", "Q", "CLK", true, 0.01, c_q0) + e("dfrtp_2", "Q", "CLK", false, 0.01, c_q0));   // r0.Q
  internal += 2 * (e("dfrtp_2", "Q", "CLK", true, 0.01, c_q1) + e("dfrtp_2", "Q", "CLK", false, 0.01, c_q1));   // r1.Q
  internal += 4 * (own("dfrtp_2", "D", true, s_d0) + own("dfrtp_2", "D", false, s_d0));                          // r0.D
  internal += 2 * (own("dfrtp_2", "D", true, s_d1) + own("dfrtp_2", "D", false, s_d1));                          // r1.D
  internal += 4 * (e("xor2_1", "X", "A", true, s_q0, c_d) + e("xor2_1", "X", "A", false, s_q0, c_d));            // g0: en idle
  internal += 4 * (e("and2_1", "X", "A", true, s_q0, c_c) + e("and2_1", "X", "A", false, s_q0, c_c));            // g1: en idle
  internal += 4 * (own("and2_1", "A", true, s_q0) + own("and2_1", "A", false, s_q0));                            // g1.A
  // g2: A = q1 (4 toggles), B = c (8 toggles) weigh 4:8
  for (bool rise : {true, false})
    internal += 2 * (4 * e("xor2_1", "X", "A", rise, s_q1, c_d) + 8 * e("xor2_1", "X", "B", rise, s_c, c_d)) / 12;
  EXPECT_NEAR(r.internal_j, internal * kPj, 1e-9 * kPj);

  // leakage: cell_leakage_power (nW) 2 x dfrtp_2 0.01065845, 2 x xor2_1 0.004277774, and2_1 0.002665008; 8 x 10 ns
  const double leak_nw = 2 * 0.0106584500 + 2 * 0.0042777740 + 0.0026650080;
  EXPECT_NEAR(r.leakage_j, leak_nw * kNw * 80 * kNs, 1e-12 * kPj);
  EXPECT_NE(r.summary(16).find("per MAC (16 MACs)"), std::string::npos);
  std::printf("%s", r.summary().c_str());
}

TEST(Energy, SameVectorsGiveIdenticalNumbers) {
  if (!have_tools()) GTEST_SKIP() << "needs yosys, iverilog and vvp";
  std::mt19937 rng(7);
  std::vector<int> en(64);
  for (int& x : en) x = static_cast<int>(rng() & 1);
  auto [nl1, a1] = run_counter(en, "random_a");
  auto [nl2, a2] = run_counter(en, "random_b");
  EXPECT_EQ(a1.rises, a2.rises);
  EXPECT_EQ(a1.falls, a2.falls);
  EnergyOptions opt;
  EnergyReport r1 = compute_energy(sky130(), nl1, a1, opt), r2 = compute_energy(sky130(), nl2, a2, opt);
  EXPECT_EQ(r1.switching_j, r2.switching_j);
  EXPECT_EQ(r1.internal_j, r2.internal_j);
  EXPECT_EQ(r1.leakage_j, r2.leakage_j);
  // the vectors drive the design: q0 toggles exactly in the cycles with en = 1, en in every change of the vector
  long ones = 0, changes = 0;
  for (std::size_t k = 0; k < en.size(); ++k) { ones += en[k]; changes += k > 0 && en[k] != en[k - 1]; }
  EXPECT_EQ(a1.toggles(nl1.node("q[0]")), ones);
  EXPECT_EQ(a1.toggles(nl1.node("en")), changes);
}

}  // namespace
}  // namespace mxlab::power
