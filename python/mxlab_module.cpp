// mxlab._core: the pybind11 extension behind the `mxlab` Python package (formats table, fake quantization by rows,
// MXLP packing). Arrays arrive C-contiguous float32 (the package converts anything else once), so they are used in
// place; the GIL is released while the C++ library works, and its OpenMP threads run as in the C++ path.
#include <omp.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>

#include "formats/block_codecs.hpp"
#include "formats/format.hpp"
#include "formats/packed.hpp"
#include "model/quant_scheme.hpp"

namespace py = pybind11;

namespace mxlab::python {
namespace {
using Floats = py::array_t<float, py::array::c_style | py::array::forcecast>;

// The options of one quantize/pack call, checked in the order `mxlab quantize` checks them (same messages).
struct Options {
  const FormatTraits* t;
  QuantConfig cfg;
  bool per_row;  // block "row": one block per row
};
Options parse_options(const std::string& fmt, const std::string& round, const std::string& block, std::uint64_t seed,
                      bool tensor_scale, bool flush_subnormals) {
  const FormatTraits& t = find_format(fmt);
  const int b = model::parse_block(block);
  QuantConfig cfg{.round = parse_round(round), .block = std::max(b, 0), .seed = seed, .tensor_scale = tensor_scale,
                  .flush_subnormal_inputs = flush_subnormals};
  resolve_block(t, cfg);
  return {&t, cfg, b == model::kBlockRow};
}

// x as rows x cols (the blocked axis last); throws unless 2-D.
struct Rows {
  const float* data;
  std::size_t rows, cols;
};
Rows rows_of(const Floats& x) {
  if (x.ndim() != 2) throw std::invalid_argument("internal: expected a 2-D rows x cols array");
  return {x.data(), static_cast<std::size_t>(x.shape(0)), static_cast<std::size_t>(x.shape(1))};
}

// Fake quantization of each row on its own (blocks restart at every row; a row's last block may be partial). The
// stochastic draw of a value is its flat index, and nvfp4's tensor scale is the whole array's, so when the blocks
// tile the rows this equals one fake_quantize call over the flat array (taken then: it is the C++ path as is).
void quantize_rows(const Options& o, Rows x, float* out) {
  QuantConfig cfg = o.cfg;
  const std::size_t n = x.rows * x.cols;
  if (o.per_row && x.cols > 0) cfg.block = static_cast<int>(x.cols);
  const std::size_t block = static_cast<std::size_t>(resolve_block(*o.t, cfg));
  if (x.rows <= 1 || x.cols % block == 0) {
    fake_quantize(o.t->id, {x.data, n}, {out, n}, cfg);
    return;
  }
  if (cfg.tensor_scale) cfg.tensor_scale_value = codecs::nvfp4_tensor_scale({x.data, n}, cfg);
  std::exception_ptr error;
#pragma omp parallel for schedule(static)
  for (std::size_t r = 0; r < x.rows; ++r) {
    try {
      QuantConfig row = cfg;
      row.index_base = cfg.index_base + r * x.cols;
      fake_quantize(o.t->id, {x.data + r * x.cols, x.cols}, {out + r * x.cols, x.cols}, row);
    } catch (...) {
#pragma omp critical
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

py::array_t<float> quantize(const Floats& x, const std::string& fmt, const std::string& round, const std::string& block,
                            std::uint64_t seed, bool tensor_scale, bool flush_subnormals, py::object out_obj) {
  const Options o = parse_options(fmt, round, block, seed, tensor_scale, flush_subnormals);
  const Rows r = rows_of(x);
  if (!out_obj.is_none() && !py::isinstance<py::array_t<float>>(out_obj))
    throw std::invalid_argument("out must be a float32 NumPy array");
  py::array_t<float> out = out_obj.is_none() ? py::array_t<float>({r.rows, r.cols})
                                             : py::reinterpret_borrow<py::array_t<float>>(out_obj);
  if (!(out.flags() & py::array::c_style) || !out.writeable() || out.ndim() != 2 ||
      static_cast<std::size_t>(out.shape(0)) != r.rows || static_cast<std::size_t>(out.shape(1)) != r.cols)
    throw std::invalid_argument("out must be a writeable C-contiguous float32 array of the input's shape");
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release release;
    quantize_rows(o, r, dst);
  }
  return out;
}

// The C++ reference path (fake_quantize_ref) on a flat array, every QuantConfig field exposed: for tests.
py::array_t<float> quantize_reference(const Floats& x, const std::string& fmt, const std::string& round, int block,
                                      std::uint64_t seed, bool tensor_scale, float tensor_scale_value,
                                      std::size_t index_base) {
  const QuantConfig cfg{.round = parse_round(round), .block = block, .seed = seed, .tensor_scale = tensor_scale,
                        .tensor_scale_value = tensor_scale_value, .index_base = index_base};
  const std::size_t n = static_cast<std::size_t>(x.size());
  py::array_t<float> out(n);
  float* dst = out.mutable_data();
  const float* src = x.data();
  py::gil_scoped_release release;
  fake_quantize_ref(find_format(fmt).id, {src, n}, {dst, n}, cfg);
  return out;
}

// Seconds of one fake_quantize call from x into out (the caller's buffers, so both sides touch the same memory),
// timed in C++ with the GIL released: the C++ path on the very arrays python/bench/bench_quantize.py passes.
double time_fake_quantize(const Floats& x, py::array_t<float, py::array::c_style> out, const std::string& fmt) {
  const Format f = find_format(fmt).id;
  const std::size_t n = static_cast<std::size_t>(x.size());
  if (static_cast<std::size_t>(out.size()) != n) throw std::invalid_argument("time_fake_quantize: sizes differ");
  const float* src = x.data();
  float* dst = out.mutable_data();
  py::gil_scoped_release release;
  const auto t0 = std::chrono::steady_clock::now();
  fake_quantize(f, {src, n}, {dst, n});
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The MXLP bytes of x (rows x cols, flattened): what `mxlab quantize --packed` writes. Blocks run over the flat
// array, so rows must be whole blocks (else the file would mix rows in one block, unlike quantize()).
py::bytes pack(const Floats& x, const std::string& fmt, const std::string& round, const std::string& block,
               std::uint64_t seed, bool tensor_scale, bool flush_subnormals) {
  Options o = parse_options(fmt, round, block, seed, tensor_scale, flush_subnormals);
  const Rows r = rows_of(x);
  if (o.per_row && r.cols > 0) o.cfg.block = static_cast<int>(r.cols);
  const int b = resolve_block(*o.t, o.cfg);
  if (r.rows > 1 && r.cols % static_cast<std::size_t>(b) != 0)
    throw std::invalid_argument("pack: the blocked axis has " + std::to_string(r.cols) +
                                " values, not a multiple of the block size " + std::to_string(b) +
                                " (the MXLP layout blocks the flat array): use a block that divides it, or 'row'");
  std::vector<std::uint8_t> bytes;
  {
    py::gil_scoped_release release;
    bytes = serialize(encode_ref(o.t->id, {x.data(), r.rows * r.cols}, o.cfg));
  }
  return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

PackedTensor read_packed(const py::buffer& data) {
  const py::buffer_info b = data.request();
  if (b.itemsize != 1 || b.ndim != 1 || (b.ndim == 1 && b.strides[0] != 1))
    throw std::invalid_argument("packed data must be contiguous bytes (bytes, bytearray or a uint8 array)");
  return deserialize({static_cast<const std::uint8_t*>(b.ptr), static_cast<std::size_t>(b.size)});
}

// The values of MXLP bytes, decoded exactly (1-D float32).
py::array_t<float> unpack(const py::buffer& data) {
  const PackedTensor p = read_packed(data);
  py::array_t<float> out(p.count);
  float* dst = out.mutable_data();
  py::gil_scoped_release release;
  decode(p, {dst, p.count});
  return out;
}

// The header of MXLP bytes and its blocks as a (blocks, bytes per block) uint8 array (scale bytes first).
py::dict packed_info(const py::buffer& data) {
  PackedTensor p = read_packed(data);
  const FormatTraits& t = traits(p.format);
  const std::size_t bb = t.block_bytes(p.block);
  py::array_t<std::uint8_t> blocks({p.block_count(), bb});
  std::copy(p.bytes.begin(), p.bytes.end(), blocks.mutable_data());
  py::dict d;
  d["format"] = t.name;
  d["block"] = p.block;
  d["count"] = p.count;
  d["tensor_scale"] = p.has_tensor_scale ? py::cast(p.tensor_scale) : py::none();
  d["scale_bytes"] = t.scale_bits() / 8;
  d["element_bits"] = t.element().bits;
  d["blocks"] = blocks;
  return d;
}

// The formats table with the fields and names of `mxlab formats --json`.
py::list formats() {
  py::list rows;
  for (const auto& t : format_table()) {
    py::dict d;
    d["name"] = t.name;
    d["id"] = static_cast<int>(t.id);
    d["family"] = std::string(family_name(t.family));
    d["element"] = t.element().name;
    d["element_bits"] = t.element().bits;
    d["exponent_bits"] = t.element().ebits;
    d["mantissa_bits"] = t.element().mbits;
    d["bias"] = t.element().bias;
    d["block"] = t.default_block;
    d["scale"] = std::string(scale_name(t.scale));
    d["scale_bits"] = t.scale_bits();
    d["code_bits"] = t.code_bits();  // element bits; VQ: index bits per weight
    d["vq_dim"] = t.vq_dim;
    d["bytes_per_block"] = t.block_bytes(t.default_block);
    d["bits_per_weight"] = t.bits_per_weight();
    d["max_value"] = t.max_value();
    d["summary"] = t.summary;
    rows.append(d);
  }
  return rows;
}
}  // namespace
}  // namespace mxlab::python

PYBIND11_MODULE(_core, m) {
  using namespace mxlab::python;
  m.doc() = "mxlab's C++ format core (use the `mxlab` package, which wraps these)";
  m.def("formats", &formats);
  m.def("quantize", &quantize, py::arg("x"), py::arg("fmt"), py::arg("round"), py::arg("block"), py::arg("seed"),
        py::arg("tensor_scale"), py::arg("flush_subnormals"), py::arg("out") = py::none());
  m.def("quantize_reference", &quantize_reference, py::arg("x"), py::arg("fmt"), py::arg("round") = "even",
        py::arg("block") = 0, py::arg("seed") = 0, py::arg("tensor_scale") = false,
        py::arg("tensor_scale_value") = 0.0f, py::arg("index_base") = 0);
  m.def("pack", &pack, py::arg("x"), py::arg("fmt"), py::arg("round"), py::arg("block"), py::arg("seed"),
        py::arg("tensor_scale"), py::arg("flush_subnormals"));
  m.def("unpack", &unpack, py::arg("data"));
  m.def("time_fake_quantize", &time_fake_quantize, py::arg("x"), py::arg("out"), py::arg("fmt"));
  m.def("packed_info", &packed_info, py::arg("data"));
  m.def("num_threads", [] { return omp_get_max_threads(); }, "OpenMP threads the C++ library uses");
  m.def("set_num_threads", [](int n) {
    if (n < 1) throw std::invalid_argument("set_num_threads: need n >= 1, got " + std::to_string(n));
    omp_set_num_threads(n);
  });
}
