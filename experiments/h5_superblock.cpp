// The plain-C++ superblock check and object header walk in front of libhdf5 (see h5_superblock.hpp), and lookup3.
#include "experiments/h5_superblock.hpp"

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>
#include <stdexcept>

namespace mxlab::experiments {
namespace {

std::uint32_t rot(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// lookup3.c mix(): reversibly mixes three 32-bit values.
void mix(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c) {
  a -= c, a ^= rot(c, 4), c += b;
  b -= a, b ^= rot(a, 6), a += c;
  c -= b, c ^= rot(b, 8), b += a;
  a -= c, a ^= rot(c, 16), c += b;
  b -= a, b ^= rot(a, 19), a += c;
  c -= b, c ^= rot(b, 4), b += a;
}
// lookup3.c final(): final mixing of three 32-bit values into c.
void final_mix(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c) {
  c ^= b, c -= rot(b, 14);
  a ^= c, a -= rot(c, 11);
  b ^= a, b -= rot(a, 25);
  c ^= b, c -= rot(b, 16);
  a ^= c, a -= rot(c, 4);
  b ^= a, b -= rot(a, 14);
  c ^= b, c -= rot(b, 24);
}

std::uint64_t le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::uint32_t lookup3_hashlittle(std::span<const std::uint8_t> key, std::uint32_t initval) {
  std::size_t length = key.size();
  const std::uint8_t* k = key.data();
  std::uint32_t a = 0xdeadbeef + static_cast<std::uint32_t>(length) + initval, b = a, c = a;
  // Little-endian 32-bit word i of the current 12-byte block (only its first `avail` bytes exist).
  auto word = [&](std::size_t i, std::size_t avail) {
    std::uint32_t w = 0;
    for (std::size_t j = 0; j < 4 && 4 * i + j < avail; ++j) w |= static_cast<std::uint32_t>(k[4 * i + j]) << (8 * j);
    return w;
  };
  for (; length > 12; length -= 12, k += 12) {
    a += word(0, 12), b += word(1, 12), c += word(2, 12);
    mix(a, b, c);
  }
  if (length == 0) return c;  // lookup3: "case 0: return c;  zero length strings require no mixing"
  a += word(0, length), b += word(1, length), c += word(2, length);
  final_mix(a, b, c);
  return c;
}

// Superblock version 2/3 (spec II.A): signature (8), version, size of offsets, size of lengths, file consistency
// flags (1 each), base address, superblock extension address, end of file address, root group object header
// address (8 each here), then the lookup3 checksum of all the bytes before it.
void check_superblock(std::span<const std::uint8_t> head, std::uint64_t file_size, const std::string& name) {
  static constexpr std::uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  const std::string refused = name + ": not a readable mxlab result file (";
  if (head.size() < 8 || std::memcmp(head.data(), kSignature, 8) != 0)
    throw std::runtime_error(refused + "no HDF5 signature at offset 0)");
  if (head.size() < 9) throw std::runtime_error(refused + "truncated inside the HDF5 superblock)");
  const unsigned version = head[8];
  if (version < 2 || version > 3)
    throw std::runtime_error(refused + "HDF5 superblock version " + std::to_string(version) +
                             "; mxlab reads only checksummed files, version 2 or 3); write it again with this mxlab");
  if (head.size() < kSuperblockBytes) throw std::runtime_error(refused + "truncated inside the HDF5 superblock)");
  if (head[9] != 8 || head[10] != 8)
    throw std::runtime_error(refused + "HDF5 offsets of " + std::to_string(head[9]) + " bytes and lengths of " +
                             std::to_string(head[10]) + " bytes; mxlab writes 8 and 8)");
  const std::uint8_t* sum = head.data() + kSuperblockBytes - 4;
  const std::uint32_t stored = sum[0] | sum[1] << 8 | sum[2] << 16 | static_cast<std::uint32_t>(sum[3]) << 24;
  if (stored != lookup3_hashlittle(head.first(kSuperblockBytes - 4)))
    throw std::runtime_error(refused + "corrupt HDF5 superblock: checksum mismatch)");
  if (le64(head.data() + 12) != 0) throw std::runtime_error(refused + "HDF5 base address is not 0)");
  const std::uint64_t eof = le64(head.data() + 28);
  if (eof > file_size)
    throw std::runtime_error(refused + "truncated: its HDF5 superblock says " + std::to_string(eof) +
                             " bytes, the file has " + std::to_string(file_size) + ")");
}

namespace {

// The object header walk of check_result_file over the whole file `f`.
class HeaderWalk {
 public:
  HeaderWalk(std::span<const std::uint8_t> f, const std::string& name) : f_(f), refused_(name + ": not a readable mxlab result file (") {}

  void run(std::uint64_t root) {
    std::vector<std::uint64_t> todo{root};
    std::set<std::uint64_t> seen;
    while (!todo.empty()) {
      const std::uint64_t addr = todo.back();
      todo.pop_back();
      if (!seen.insert(addr).second) continue;
      if (seen.size() > kMaxObjects) fail("more than " + std::to_string(kMaxObjects) + " objects");
      header(addr, todo);
    }
  }

 private:
  static constexpr std::size_t kMaxObjects = 1 << 20;
  [[noreturn]] void fail(const std::string& why) const { throw std::runtime_error(refused_ + why + ")"); }
  // `n` bytes at `at`, all inside the file.
  const std::uint8_t* bytes(std::uint64_t at, std::uint64_t n) const {
    if (at > f_.size() || n > f_.size() - at) fail("an HDF5 object points past the end of the file");
    return f_.data() + at;
  }
  std::uint64_t le(const std::uint8_t* p, unsigned n) const {
    std::uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
  }
  // Checks the lookup3 checksum that ends the `n` bytes at `at` (spec: over every byte before it).
  void checksummed(std::uint64_t at, std::uint64_t n, const char* what) const {
    const std::uint8_t* p = bytes(at, n);
    if (n < 4 || le(p + n - 4, 4) != lookup3_hashlittle({p, static_cast<std::size_t>(n - 4)}))
      fail(std::string("corrupt HDF5 ") + what + " at byte " + std::to_string(at) + ": checksum mismatch");
  }

  // A version 2 object header ("OHDR", spec IV.A.1.b) at `addr`: its chunk 0, then each continuation block.
  void header(std::uint64_t addr, std::vector<std::uint64_t>& todo) {
    const std::uint8_t* p = bytes(addr, 6);
    if (std::memcmp(p, "OHDR", 4) != 0 || p[4] != 2) fail("not a version 2 HDF5 object header at byte " + std::to_string(addr));
    const unsigned flags = p[5];
    const bool order = flags & 0x04;
    std::uint64_t at = addr + 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
    const unsigned width = 1u << (flags & 0x03);
    const std::uint64_t size = le(bytes(at, width), width);
    at += width;
    if (size > f_.size()) fail("an HDF5 object header larger than the file");
    checksummed(addr, at - addr + size + 4, "object header");
    std::vector<std::pair<std::uint64_t, std::uint64_t>> chunks{{at, size}};
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      if (c > 0) {  // a continuation block: "OCHK", messages, checksum
        const auto [block, length] = chunks[c];
        if (length < 8 || std::memcmp(bytes(block, 4), "OCHK", 4) != 0) fail("bad HDF5 continuation block");
        checksummed(block, length, "continuation block");
        chunks[c] = {block + 4, length - 8};
      }
      messages(chunks[c].first, chunks[c].second, order, chunks, todo);
      if (chunks.size() > 65536) fail("too many HDF5 continuation blocks");
    }
  }

  // The messages of one chunk: follows continuations (0x10) and hard links (0x06), vets layouts (0x08).
  void messages(std::uint64_t at, std::uint64_t size, bool order, std::vector<std::pair<std::uint64_t, std::uint64_t>>& chunks,
                std::vector<std::uint64_t>& todo) const {
    const std::uint64_t head = order ? 6 : 4, end = at + size;
    while (end - at >= head) {  // fewer bytes than a message header: the gap before the checksum
      const std::uint8_t* m = bytes(at, head);
      const unsigned type = m[0], flags = m[3];
      const std::uint64_t n = le(m + 1, 2);
      if (n > end - at - head) fail("an HDF5 message runs past its object header");
      const std::uint8_t* d = bytes(at + head, n);
      if (flags & 0x02) fail("a shared HDF5 message (mxlab writes none)");
      if (type == 0x10) {
        if (n < 16) fail("a short HDF5 continuation message");
        chunks.emplace_back(le(d, 8), le(d + 8, 8));
      } else if (type == 0x06) {
        link(d, n, todo);
      } else if (type == 0x08) {
        layout(d, n);
      }
      at += head + n;
    }
  }

  // A link message (spec IV.A.2.g): version 1, flags, [type], [creation order], [charset], name length, name, target.
  void link(const std::uint8_t* d, std::uint64_t n, std::vector<std::uint64_t>& todo) const {
    if (n < 2 || d[0] != 1) fail("a bad HDF5 link message");
    const unsigned flags = d[1];
    std::uint64_t at = 2;
    unsigned type = 0;
    if (flags & 0x08) type = at < n ? d[at++] : 255;
    at += ((flags & 0x04) ? 8 : 0) + ((flags & 0x10) ? 1 : 0);
    const unsigned width = 1u << (flags & 0x03);
    if (at + width > n) fail("a bad HDF5 link message");
    const std::uint64_t length = le(d + at, width);
    at += width;
    if (length > n - at) fail("a bad HDF5 link message");
    at += length;
    if (type != 0) return;  // soft and external links lead to no object header in this file
    if (n - at < 8) fail("a bad HDF5 link message");
    todo.push_back(le(d + at, 8));
  }

  // A data layout message (spec IV.A.2.i): compact and contiguous data, or chunked data kept in a single chunk (its
  // bytes then checked by the Fletcher-32 filter); other chunk indexes and virtual layouts hold unchecked structures.
  void layout(const std::uint8_t* d, std::uint64_t n) const {
    if (n < 2 || d[0] < 3 || d[0] > 4) fail("an HDF5 data layout mxlab does not write");
    if (d[1] == 0 || d[1] == 1) return;
    if (d[1] != 2 || d[0] != 4 || n < 5) fail("an HDF5 data layout mxlab does not write");
    const std::uint64_t at = 5 + static_cast<std::uint64_t>(d[3]) * d[4] + 1;  // flags, rank, width, dims, index type
    if (at > n || d[at - 1] != 1) fail("an HDF5 chunk index mxlab does not write");
  }

  std::span<const std::uint8_t> f_;
  std::string refused_;
};

}  // namespace

void check_result_file(std::span<const std::uint8_t> file, const std::string& name) {
  check_superblock(file.first(std::min(file.size(), kSuperblockBytes)), file.size(), name);
  if (le64(file.data() + 20) != ~std::uint64_t{0})
    throw std::runtime_error(name + ": not a readable mxlab result file (an HDF5 superblock extension; mxlab writes none)");
  HeaderWalk(file, name).run(le64(file.data() + 36));
}

}  // namespace mxlab::experiments
