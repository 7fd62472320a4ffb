// Checks an HDF5 result file's superblock and object headers in plain C++ before libhdf5 parses anything: mxlab
// reads only files whose every metadata structure carries a checksum (superblock version >= 2), because libhdf5
// 1.10.8's parser is not safe on corrupted files (fuzzing found use-after-free reads and leaks in it); the checksums
// turn corruption into a refusal.
#pragma once
#include <cstdint>
#include <span>
#include <string>

namespace mxlab::experiments {

// Bob Jenkins' lookup3 hashlittle(), the checksum of every HDF5 metadata structure (HDF5 File Format
// Specification version 3.0, section II.A "Disk Format: Level 0A - Format Signature and Superblock", and
// appendix "Jenkins' lookup3 Hash Function for Checksums"); byte-order independent (reads bytes, not words).
std::uint32_t lookup3_hashlittle(std::span<const std::uint8_t> key, std::uint32_t initval = 0);

// The bytes of a version 2/3 superblock with 8-byte offsets and lengths: the only kind mxlab writes.
inline constexpr std::size_t kSuperblockBytes = 48;

// Throws std::runtime_error "<name>: ..." (one line) unless `head` (the file's first bytes, at least
// kSuperblockBytes when the file has them) starts with an HDF5 superblock of version 2 or 3, 8-byte offsets and
// lengths, base address 0, an end-of-file address within `file_size`, and a matching lookup3 checksum.
void check_superblock(std::span<const std::uint8_t> head, std::uint64_t file_size, const std::string& name);

// check_superblock, then walks every object header reachable from the root group by hard links (spec IV.A.1.b
// version 2 object headers and their continuation blocks) and checks each one's lookup3 checksum in plain C++, so
// that libhdf5 never decodes a corrupted header (libhdf5 1.10.8 leaks the header it was decoding when the checksum
// fails). Also refuses what mxlab never writes and whose bytes would go unchecked: a superblock extension, version
// 1 object headers, shared messages, and chunked layouts indexed by anything but a single chunk. Throws
// std::runtime_error "<name>: not a readable mxlab result file (...)".
void check_result_file(std::span<const std::uint8_t> file, const std::string& name);

}  // namespace mxlab::experiments
