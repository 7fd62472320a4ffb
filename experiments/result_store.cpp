// HDF5 result store: writer of point files, merger, reader. Every file is written under a temporary name,
// fsync'ed and renamed, so a reader (or a rerun after SIGKILL) only ever sees complete files.
#include "experiments/result_store.hpp"

#include "experiments/h5_superblock.hpp"

#include <H5Cpp.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <stdexcept>

namespace mxlab::experiments {
namespace {

namespace fs = std::filesystem;

// Every piece of metadata the reader walks must carry a checksum: superblock v3, v2 object headers, links and
// attributes kept in those headers (compact storage), fixed-length strings (a variable-length string lives in the
// global heap, which has none), and raw data either inside the object header (compact layout) or, for columns too
// big for it, in one Fletcher-32-checked chunk. Object times are off, so equal points give equal bytes.
constexpr std::size_t kCompactBytes = 32 * 1024;    // raw data up to this size lives in the object header
constexpr std::size_t kMaxStringBytes = 60 * 1024;  // an attribute is one object header message (< 64 KiB)
constexpr unsigned kMaxCompact = 65535;             // links/attributes per object kept in its header (the maximum)

// An owning C++ handle for a group created with the C API (the C++ constructor adds a reference of its own).
H5::Group make_group(const H5::H5Location& parent, const std::string& name) {
  const hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_link_phase_change(gcpl, kMaxCompact, 0);
  H5Pset_attr_phase_change(gcpl, kMaxCompact, 0);
  H5Pset_obj_track_times(gcpl, 0);
  const hid_t id = H5Gcreate2(parent.getId(), name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  if (id < 0) throw H5::GroupIException("make_group", "cannot create group " + name);
  H5::Group g(id);
  H5Idec_ref(id);
  return g;
}

// A fixed-length, NUL-padded UTF-8 string type of `bytes` bytes (HDF5 needs at least 1).
H5::StrType string_type(std::size_t bytes) {
  H5::StrType t(H5::PredType::C_S1, std::max<std::size_t>(bytes, 1));
  t.setCset(H5T_CSET_UTF8);
  t.setStrpad(H5T_STR_NULLPAD);
  return t;
}

void put(H5::H5Object& obj, const std::string& key, const std::string& value) {
  if (value.size() > kMaxStringBytes)
    throw std::runtime_error("attribute " + key + " holds " + std::to_string(value.size()) +
                             " bytes, more than the 60 KiB an HDF5 object header message holds");
  const H5::StrType t = string_type(value.size());
  std::string padded = value;
  padded.resize(t.getSize(), '\0');
  obj.createAttribute(key, t, H5::DataSpace(H5S_SCALAR)).write(t, padded.data());
}
template <class T>
void put_number(H5::H5Object& obj, const std::string& key, const H5::PredType& type, T value) {
  obj.createAttribute(key, type, H5::DataSpace(H5S_SCALAR)).write(type, &value);
}

// Creation properties of a dataset of n values, `bytes` bytes in all: compact (inside the object header) when
// small, else one chunk checked by the Fletcher-32 filter.
H5::DSetCreatPropList dataset_props(hsize_t n, std::size_t bytes) {
  H5::DSetCreatPropList p;
  H5Pset_obj_track_times(p.getId(), 0);
  if (bytes <= kCompactBytes) {
    p.setLayout(H5D_COMPACT);
  } else {
    p.setChunk(1, &n);
    p.setFletcher32();
  }
  return p;
}
H5::DataSet make_dataset(H5::Group& g, const std::string& name, const H5::DataType& type, hsize_t n, std::size_t bytes) {
  return g.createDataSet(name, type, H5::DataSpace(1, &n), dataset_props(n, bytes));
}

void put_strings(H5::Group& g, const std::string& name, const std::vector<std::string>& values) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  const H5::StrType t = string_type(width);
  std::vector<char> buf(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) std::copy(values[i].begin(), values[i].end(), buf.begin() + i * width);
  H5::DataSet ds = make_dataset(g, name, t, values.size(), buf.size());
  if (!values.empty()) ds.write(buf.data(), t);
}
void put_numbers(H5::Group& g, const std::string& name, const std::vector<double>& values) {
  H5::DataSet ds = make_dataset(g, name, H5::PredType::IEEE_F64LE, values.size(), values.size() * sizeof(double));
  if (!values.empty()) ds.write(values.data(), H5::PredType::NATIVE_DOUBLE);
}

// A LayerTable as a group of equal-length 1-D datasets: "name", then one per column.
void put_table(H5::Group& parent, const std::string& group, const LayerTable& t) {
  H5::Group l = make_group(parent, group);
  put_strings(l, "name", t.names);
  for (const auto& [key, col] : t.text) put_strings(l, key, col);
  for (const auto& [key, col] : t.numbers) put_numbers(l, key, col);
}

void write_point(H5::Group& points, const PointRecord& rec) {
  H5::Group g = make_group(points, rec.name);
  put_number(g, "index", H5::PredType::STD_I64LE, static_cast<std::int64_t>(rec.index));
  put(g, "config", rec.config.dump());
  const nlohmann::json point = rec.config.value("point", nlohmann::json::object());
  for (const auto& [key, v] : point.items()) {
    if (v.is_string()) put(g, key, v.get<std::string>());
    else if (v.is_boolean()) put_number(g, key, H5::PredType::STD_I8LE, static_cast<std::int8_t>(v.get<bool>()));
  }
  for (const auto& [key, value] : rec.attrs) put(g, key, value);
  H5::Group m = make_group(g, "metrics");
  const H5::DSetCreatPropList scalar = dataset_props(1, sizeof(double));
  for (const auto& [key, value] : rec.metrics)
    m.createDataSet(key, H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR), scalar).write(&value, H5::PredType::NATIVE_DOUBLE);
  put_table(g, "layers", rec.layers);
  if (!rec.blocks.names.empty()) put_table(g, "blocks", rec.blocks);
}

// A file whose structure lies (a scalar with many values, more values than the file has bytes).
struct CorruptStore : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The size of the file that holds the object `id` (0 if unknown).
hsize_t file_bytes(hid_t id) {
  hsize_t bytes = 0;
  if (const hid_t f = H5Iget_file_id(id); f >= 0) {
    H5Fget_filesize(f, &bytes);
    H5Fclose(f);
  }
  return bytes;
}
// The number of values of the attribute or dataset `id` with dataspace `space`, checked before anything is allocated
// for them: `scalar` ones must hold exactly one, others at most one value per byte of the file.
hsize_t checked_count(hid_t id, const H5::DataSpace& space, const std::string& what, bool scalar) {
  const hssize_t n = space.getSimpleExtentNpoints();
  if (scalar && n != 1) throw CorruptStore(what + " must hold one value, not " + std::to_string(n));
  if (n < 0 || static_cast<hsize_t>(n) > file_bytes(id))
    throw CorruptStore(what + " claims " + std::to_string(n) + " values, more than the file could hold");
  return static_cast<hsize_t>(n);
}

// The number of bytes of each fixed-length string of type `t`; variable-length strings are refused (their bytes live
// in the global heap, which carries no checksum: mxlab never writes them).
std::size_t checked_string_bytes(hid_t id, const H5::StrType& t, const std::string& what) {
  if (t.isVariableStr())
    throw CorruptStore(what + " is a variable-length string (mxlab writes fixed-length ones; write the file again)");
  const std::size_t bytes = t.getSize();
  if (bytes > file_bytes(id))
    throw CorruptStore(what + " claims a " + std::to_string(bytes) + "-byte string, longer than the file");
  return bytes;
}
// Fixed-length string i of `buf` (strings of `bytes` bytes each), up to its first NUL (NULLPAD/NULLTERM padding).
std::string string_at(const std::vector<char>& buf, std::size_t i, std::size_t bytes) {
  const char* p = buf.data() + i * bytes;
  return {p, static_cast<std::size_t>(std::find(p, p + bytes, '\0') - p)};
}
// Refuses a value whose stored type is not `expected` (what mxlab writes), before libhdf5 converts anything.
void require_type(const H5::DataType& stored, const H5::PredType& expected, const std::string& what) {
  if (!(stored == expected)) throw CorruptStore(what + " has a type mxlab does not write");
}

std::string read_string_attr(const H5::Attribute& a) {
  const std::string what = "attribute " + a.getName();
  checked_count(a.getId(), a.getSpace(), what, true);
  const H5::StrType t = a.getStrType();
  std::vector<char> buf(checked_string_bytes(a.getId(), t, what));
  a.read(t, buf.data());
  return string_at(buf, 0, buf.size());
}

std::vector<std::string> read_strings(const H5::DataSet& ds) {
  const std::string what = "dataset " + ds.getObjName();
  const hsize_t n = checked_count(ds.getId(), ds.getSpace(), what, false);
  const H5::StrType t = ds.getStrType();
  const std::size_t bytes = checked_string_bytes(ds.getId(), t, what);
  if (bytes && n > file_bytes(ds.getId()) / bytes)
    throw CorruptStore(what + " claims " + std::to_string(n) + " strings of " + std::to_string(bytes) +
                       " bytes, more than the file could hold");
  std::vector<char> buf(static_cast<std::size_t>(n) * bytes);
  if (n) ds.read(buf.data(), t);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(string_at(buf, i, bytes));
  return out;
}
std::vector<double> read_numbers(const H5::DataSet& ds) {
  const std::string what = "dataset " + ds.getObjName();
  std::vector<double> out(checked_count(ds.getId(), ds.getSpace(), what, false));
  require_type(ds.getDataType(), H5::PredType::IEEE_F64LE, what);
  if (!out.empty()) ds.read(out.data(), H5::PredType::NATIVE_DOUBLE);
  return out;
}

LayerTable read_table(const H5::Group& l) {
  LayerTable t;
  for (hsize_t i = 0; i < l.getNumObjs(); ++i) {
    const std::string key = l.getObjnameByIdx(i);
    const H5::DataSet ds = l.openDataSet(key);
    if (ds.getTypeClass() == H5T_STRING) {
      std::vector<std::string> col = read_strings(ds);
      if (key == "name") t.names = std::move(col);
      else t.text[key] = std::move(col);
    } else {
      t.numbers[key] = read_numbers(ds);
    }
  }
  return t;
}

PointRecord read_point(const H5::Group& points, const std::string& name) {
  PointRecord rec;
  rec.name = name;
  const H5::Group g = points.openGroup(name);
  for (int i = 0, n = g.getNumAttrs(); i < n; ++i) {
    const H5::Attribute a = g.openAttribute(static_cast<unsigned>(i));
    const std::string key = a.getName();
    if (key == "index") {
      checked_count(a.getId(), a.getSpace(), "attribute index of point " + name, true);
      require_type(a.getDataType(), H5::PredType::STD_I64LE, "attribute index of point " + name);
      std::int64_t v = 0;
      a.read(H5::PredType::NATIVE_INT64, &v);
      rec.index = static_cast<std::size_t>(v);
    } else if (a.getTypeClass() == H5T_STRING) {
      const std::string v = read_string_attr(a);
      if (key == "config") rec.config = nlohmann::json::parse(v);
      else rec.attrs[key] = v;
    }
  }
  const nlohmann::json point = rec.config.value("point", nlohmann::json::object());
  for (const auto& [key, v] : point.items()) rec.attrs.erase(key);
  const H5::Group m = g.openGroup("metrics");
  for (hsize_t i = 0; i < m.getNumObjs(); ++i) {
    const std::string key = m.getObjnameByIdx(i);
    double v = 0;
    const H5::DataSet ds = m.openDataSet(key);
    checked_count(ds.getId(), ds.getSpace(), "metric " + key + " of point " + name, true);
    require_type(ds.getDataType(), H5::PredType::IEEE_F64LE, "metric " + key + " of point " + name);
    ds.read(&v, H5::PredType::NATIVE_DOUBLE);
    rec.metrics[key] = v;
  }
  rec.layers = read_table(g.openGroup("layers"));
  if (g.nameExists("blocks")) rec.blocks = read_table(g.openGroup("blocks"));
  return rec;
}

// The bytes of `file` (result files are small: kilobytes per point).
std::vector<std::uint8_t> file_bytes_of(const fs::path& file) {
  if (fs::is_directory(file)) throw std::runtime_error(file.string() + ": is a directory, not an mxlab result file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot open for reading");
  std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw std::runtime_error(file.string() + ": read error");
  return bytes;
}

void fsync_path(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Runs `write(tmp)` then fsyncs and renames tmp onto `file`; removes tmp on any error.
template <class F>
void atomic_h5(const fs::path& file, F&& write) {
  H5::Exception::dontPrint();
  const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
  try {
    {
      // Superblock v3, v2 object headers, new-style groups and attributes: every metadata structure checksummed.
      H5::FileAccPropList fapl;
      H5Pset_libver_bounds(fapl.getId(), H5F_LIBVER_V110, H5F_LIBVER_V110);
      H5::FileCreatPropList fcpl;  // the root group's creation properties, as make_group's
      H5Pset_link_phase_change(fcpl.getId(), kMaxCompact, 0);
      H5Pset_attr_phase_change(fcpl.getId(), kMaxCompact, 0);
      H5Pset_obj_track_times(fcpl.getId(), 0);
      H5::H5File f(tmp.string(), H5F_ACC_TRUNC, fcpl, fapl);
      write(f);
    }
    fsync_path(tmp, false);
    fs::rename(tmp, file);
    fsync_path(file.parent_path().empty() ? fs::path(".") : file.parent_path(), true);
  } catch (const H5::Exception& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw std::runtime_error(file.string() + ": HDF5 write failed: " + e.getDetailMsg());
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

}  // namespace

void write_point_file(const fs::path& file, const PointRecord& rec) {
  atomic_h5(file, [&](H5::H5File& f) {
    H5::Group points = make_group(f, "points");
    write_point(points, rec);
  });
}

void merge_point_files(const fs::path& out, const std::map<std::string, std::string>& attrs,
                       const std::vector<fs::path>& point_files) {
  atomic_h5(out, [&](H5::H5File& f) {
    H5::Group root = f.openGroup("/");
    for (const auto& [key, value] : attrs) put(root, key, value);
    H5::Group points = make_group(f, "points");
    for (const fs::path& pf : point_files) {
      check_result_file(file_bytes_of(pf), pf.string());  // before H5Ocopy reads it with libhdf5
      H5::H5File src(pf.string(), H5F_ACC_RDONLY);
      const H5::Group sp = src.openGroup("points");
      for (hsize_t i = 0; i < sp.getNumObjs(); ++i) {
        const std::string name = sp.getObjnameByIdx(i);
        if (H5Ocopy(sp.getId(), name.c_str(), points.getId(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
          throw std::runtime_error(pf.string() + ": cannot copy point " + name + " into " + out.string());
      }
    }
  });
}

namespace {

// The body of read_store for an open file `f`; `file` names it in errors.
StoreContents read_open_store(const std::string& file, const std::function<H5::H5File()>& open) {
  H5::Exception::dontPrint();
  try {
    H5::H5File f = open();
    StoreContents s;
    const H5::Group root = f.openGroup("/");
    for (int i = 0, n = root.getNumAttrs(); i < n; ++i) {
      const H5::Attribute a = root.openAttribute(static_cast<unsigned>(i));
      if (a.getTypeClass() == H5T_STRING) s.attrs[a.getName()] = read_string_attr(a);
    }
    if (!f.nameExists("points")) throw std::runtime_error(file + ": not an mxlab result file (no /points group)");
    const H5::Group points = f.openGroup("points");
    for (hsize_t i = 0; i < points.getNumObjs(); ++i) s.points.push_back(read_point(points, points.getObjnameByIdx(i)));
    std::stable_sort(s.points.begin(), s.points.end(), [](const PointRecord& a, const PointRecord& b) { return a.index < b.index; });
    return s;
  } catch (const H5::Exception& e) {
    throw std::runtime_error(file + ": not a readable mxlab result file (HDF5: " + e.getDetailMsg() + ")");
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(file + ": bad point config JSON (" + e.what() + ")");
  } catch (const CorruptStore& e) {
    throw std::runtime_error(file + ": not a readable mxlab result file (" + e.what() + ")");
  }
}

}  // namespace

StoreContents read_store(const fs::path& file) {
  if (!fs::exists(file)) throw std::runtime_error(file.string() + ": no such file");
  return read_store_image(file_bytes_of(file), file.string());
}

StoreContents read_store_image(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.empty()) throw std::runtime_error(name + ": not a readable mxlab result file (empty)");
  check_result_file(bytes, name);
  return read_open_store(name, [&] {
    // HDF5's core (in-memory) driver over a copy of the bytes, never backed by a file on disk.
    H5::FileAccPropList fapl;
    if (H5Pset_fapl_core(fapl.getId(), 1 << 16, 0) < 0 ||
        H5Pset_file_image(fapl.getId(), const_cast<std::uint8_t*>(bytes.data()), bytes.size()) < 0)
      throw std::runtime_error(name + ": cannot set up an in-memory HDF5 file");
    // The core driver refuses an image whose name is an existing file: give it a path that cannot exist.
    return H5::H5File("/proc/self/mxlab-in-memory-result-file", H5F_ACC_RDONLY, H5::FileCreatPropList::DEFAULT, fapl);
  });
}

}  // namespace mxlab::experiments
