// llama2.c tokenizer (tokenizer.bin / tok512.bin): BPE by greedy best-score merges, exactly as run.c encodes.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mxlab::model {

inline constexpr int kBos = 1;  // llama2.c: <s> = 1, </s> = 2, byte tokens <0x00>.. start at 3
inline constexpr int kEos = 2;

class Tokenizer {
 public:
  // File layout (run.c build_tokenizer): int32 max_token_length, then per token: float score, int32 len, bytes.
  // The vocabulary size is the number of records in the file. Throws naming the file on corrupt input.
  explicit Tokenizer(const std::filesystem::path& path);

  int vocab_size() const { return static_cast<int>(pieces_.size()); }
  const std::string& piece(int id) const { return pieces_.at(id); }
  float score(int id) const { return scores_.at(id); }

  // run.c encode(): optional BOS, the dummy-prefix " " token for non-empty text, one token per UTF-8 code point
  // (byte fallback: byte + 3 when the code point is not in the vocabulary), then repeatedly merge the adjacent pair
  // whose concatenation has the highest vocabulary score (leftmost on ties). Same result as run.c's O(n^2) loop,
  // computed with a priority queue so that whole books encode in well under a second.
  std::vector<int> encode(std::string_view text, bool bos, bool eos = false) const;
  // run.c's quadratic loop verbatim; for tests of encode().
  std::vector<int> encode_reference(std::string_view text, bool bos, bool eos = false) const;

  // run.c decode(): strips the leading space of a piece following BOS, turns <0xXX> into the raw byte.
  std::string decode(int prev_token, int token) const;
  // Concatenates decode(prev, t) over a sequence (the first token's predecessor is taken as BOS if it is BOS).
  std::string decode(const std::vector<int>& tokens) const;

 private:
  int lookup(std::string_view s) const;  // -1 if absent
  std::vector<int> code_points(std::string_view text, bool bos) const;

  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int> ids_;
  int max_token_length_ = 0;
};

}  // namespace mxlab::model
