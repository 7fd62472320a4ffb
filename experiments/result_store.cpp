// HDF5 result store: writer of point files, merger, reader. Every file is written under a temporary name,
// fsync'ed and renamed, so a reader (or a rerun after SIGKILL) only ever sees complete files.
#include "experiments/result_store.hpp"

#include <H5Cpp.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>

namespace mxlab::experiments {
namespace {

namespace fs = std::filesystem;

// Point keys written as typed attributes beside the JSON config (strings, and flags as int8).
const std::vector<std::string> kFlagKeys{"tensor_scale", "quantize_classifier"};

H5::StrType string_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

void put(H5::H5Object& obj, const std::string& key, const std::string& value) {
  const H5::StrType t = string_type();
  obj.createAttribute(key, t, H5::DataSpace(H5S_SCALAR)).write(t, value);
}
template <class T>
void put_number(H5::H5Object& obj, const std::string& key, const H5::PredType& type, T value) {
  obj.createAttribute(key, type, H5::DataSpace(H5S_SCALAR)).write(type, &value);
}

void put_strings(H5::Group& g, const std::string& name, const std::vector<std::string>& values) {
  const hsize_t n = values.size();
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  const H5::StrType t = string_type();
  H5::DataSet ds = g.createDataSet(name, t, H5::DataSpace(1, &n));
  if (n) ds.write(ptrs.data(), t);
}
void put_numbers(H5::Group& g, const std::string& name, const std::vector<double>& values) {
  const hsize_t n = values.size();
  H5::DataSet ds = g.createDataSet(name, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, &n));
  if (n) ds.write(values.data(), H5::PredType::NATIVE_DOUBLE);
}

// A LayerTable as a group of equal-length 1-D datasets: "name", then one per column.
void put_table(H5::Group& parent, const std::string& group, const LayerTable& t) {
  H5::Group l = parent.createGroup(group);
  put_strings(l, "name", t.names);
  for (const auto& [key, col] : t.text) put_strings(l, key, col);
  for (const auto& [key, col] : t.numbers) put_numbers(l, key, col);
}

void write_point(H5::Group& points, const PointRecord& rec) {
  H5::Group g = points.createGroup(rec.name);
  put_number(g, "index", H5::PredType::NATIVE_INT64, static_cast<std::int64_t>(rec.index));
  put(g, "config", rec.config.dump());
  const nlohmann::json point = rec.config.value("point", nlohmann::json::object());
  for (const auto& [key, v] : point.items()) {
    if (v.is_string()) put(g, key, v.get<std::string>());
    else if (v.is_boolean()) put_number(g, key, H5::PredType::NATIVE_INT8, static_cast<std::int8_t>(v.get<bool>()));
  }
  for (const auto& [key, value] : rec.attrs) put(g, key, value);
  H5::Group m = g.createGroup("metrics");
  for (const auto& [key, value] : rec.metrics) {
    H5::DataSet ds = m.createDataSet(key, H5::PredType::NATIVE_DOUBLE, H5::DataSpace(H5S_SCALAR));
    ds.write(&value, H5::PredType::NATIVE_DOUBLE);
  }
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

std::string read_string_attr(const H5::Attribute& a) {
  const std::string what = "attribute " + a.getName();
  checked_count(a.getId(), a.getSpace(), what, true);
  const H5::StrType t = a.getStrType();
  if (!t.isVariableStr() && t.getSize() > file_bytes(a.getId()))
    throw CorruptStore(what + " claims a " + std::to_string(t.getSize()) + "-byte string, longer than the file");
  std::string s;
  a.read(t, s);
  return s;
}

std::vector<std::string> read_strings(const H5::DataSet& ds) {
  const H5::DataSpace space = ds.getSpace();
  const hsize_t n = checked_count(ds.getId(), space, "dataset " + ds.getObjName(), false);
  std::vector<char*> ptrs(static_cast<std::size_t>(n), nullptr);
  const H5::StrType t = string_type();
  if (n) ds.read(ptrs.data(), t);
  std::vector<std::string> out;
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  if (n) H5Dvlen_reclaim(t.getId(), space.getId(), H5P_DEFAULT, ptrs.data());
  return out;
}
std::vector<double> read_numbers(const H5::DataSet& ds) {
  std::vector<double> out(checked_count(ds.getId(), ds.getSpace(), "dataset " + ds.getObjName(), false));
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
    ds.read(&v, H5::PredType::NATIVE_DOUBLE);
    rec.metrics[key] = v;
  }
  rec.layers = read_table(g.openGroup("layers"));
  if (g.nameExists("blocks")) rec.blocks = read_table(g.openGroup("blocks"));
  return rec;
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
      H5::H5File f(tmp.string(), H5F_ACC_TRUNC);
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
    H5::Group points = f.createGroup("points");
    write_point(points, rec);
  });
}

void merge_point_files(const fs::path& out, const std::map<std::string, std::string>& attrs,
                       const std::vector<fs::path>& point_files) {
  atomic_h5(out, [&](H5::H5File& f) {
    H5::Group root = f.openGroup("/");
    for (const auto& [key, value] : attrs) put(root, key, value);
    H5::Group points = f.createGroup("points");
    for (const fs::path& pf : point_files) {
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
  return read_open_store(file.string(), [&] { return H5::H5File(file.string(), H5F_ACC_RDONLY); });
}

StoreContents read_store_image(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.empty()) throw std::runtime_error(name + ": empty, not an mxlab result file");
  return read_open_store(name, [&] {
    // HDF5's core (in-memory) driver over a copy of the bytes, never backed by a file on disk.
    H5::FileAccPropList fapl;
    if (H5Pset_fapl_core(fapl.getId(), 1 << 16, 0) < 0 ||
        H5Pset_file_image(fapl.getId(), const_cast<std::uint8_t*>(bytes.data()), bytes.size()) < 0)
      throw std::runtime_error(name + ": cannot set up an in-memory HDF5 file");
    return H5::H5File(name, H5F_ACC_RDONLY, H5::FileCreatPropList::DEFAULT, fapl);
  });
}

}  // namespace mxlab::experiments
