// llama2.c tokenizer: loading, run.c-exact BPE encoding (heap-accelerated) and decoding.
#include "model/tokenizer.hpp"

#include <cstdint>
#include <queue>
#include <stdexcept>

#include "model/binary_file.hpp"

namespace mxlab::model {

Tokenizer::Tokenizer(const std::filesystem::path& path) {
  BinaryReader in(path);
  max_token_length_ = in.value<std::int32_t>("max_token_length");
  if (max_token_length_ <= 0 || max_token_length_ > 4096)
    in.fail("bad max_token_length " + std::to_string(max_token_length_) + " — not a llama2.c tokenizer file");
  while (in.position() < in.size()) {
    const std::string what = "token " + std::to_string(pieces_.size());
    const float score = in.value<float>(what + " score");
    const auto len = in.value<std::int32_t>(what + " length");
    if (len < 0 || len > max_token_length_)
      in.fail(what + " has length " + std::to_string(len) + " outside [0, max_token_length=" +
              std::to_string(max_token_length_) + "] — corrupt tokenizer file");
    std::string piece(static_cast<std::size_t>(len), '\0');
    in.read(piece.data(), piece.size(), what + " bytes");
    ids_.try_emplace(piece, static_cast<int>(pieces_.size()));  // first id wins on duplicates
    pieces_.push_back(std::move(piece));
    scores_.push_back(score);
  }
  if (pieces_.size() < 259) in.fail("only " + std::to_string(pieces_.size()) + " tokens; a llama2.c vocabulary has "
                                    "<unk>, <s>, </s> and 256 byte tokens at least");
}

int Tokenizer::lookup(std::string_view s) const {
  auto it = ids_.find(std::string(s));
  return it == ids_.end() ? -1 : it->second;
}

// The per-code-point tokens before merging (run.c encode, up to the merge loop).
std::vector<int> Tokenizer::code_points(std::string_view text, bool bos) const {
  std::vector<int> tokens;
  tokens.reserve(text.size() + 2);
  if (bos) tokens.push_back(kBos);
  if (!text.empty()) {
    const int dummy = lookup(" ");  // add_dummy_prefix (sentencepiece default)
    if (dummy < 0) throw std::runtime_error("tokenizer has no ' ' token for the dummy prefix");
    tokens.push_back(dummy);
  }
  std::string buf;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) buf.clear();  // ASCII or leading byte: a new code point starts
    buf.push_back(static_cast<char>(c));
    const bool next_is_cont = i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80;
    if (next_is_cont && buf.size() < 4) continue;
    if (const int id = lookup(buf); id != -1) {
      tokens.push_back(id);
    } else {
      for (unsigned char b : buf) tokens.push_back(b + 3);  // byte fallback: <unk>, <s>, </s> come first
    }
    buf.clear();
  }
  return tokens;
}

std::vector<int> Tokenizer::encode_reference(std::string_view text, bool bos, bool eos) const {
  std::vector<int> tokens = code_points(text, bos);
  while (true) {
    float best_score = -1e10f;
    int best_id = -1;
    std::size_t best_idx = 0;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      const int id = lookup(pieces_[tokens[i]] + pieces_[tokens[i + 1]]);
      if (id != -1 && scores_[id] > best_score) best_score = scores_[id], best_id = id, best_idx = i;
    }
    if (best_id == -1) break;
    tokens[best_idx] = best_id;
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best_idx) + 1);
  }
  if (eos) tokens.push_back(kEos);
  return tokens;
}

std::vector<int> Tokenizer::encode(std::string_view text, bool bos, bool eos) const {
  std::vector<int> tok = code_points(text, bos);
  const int n = static_cast<int>(tok.size());
  // Doubly linked list over the initial positions; position order never changes, so the original index of a
  // pair's left element orders pairs exactly as run.c's left-to-right scan does.
  std::vector<int> prev(n), next(n), stamp(n, 0);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1 < n ? i + 1 : -1;
  struct Cand {
    float score;
    int left, right, id, left_stamp, right_stamp;
    bool operator<(const Cand& o) const {  // max-heap: higher score first, then smaller left index
      return score != o.score ? score < o.score : left > o.left;
    }
  };
  std::priority_queue<Cand> heap;
  auto consider = [&](int left) {
    if (left < 0 || next[left] < 0) return;
    const int right = next[left];
    const int id = lookup(pieces_[tok[left]] + pieces_[tok[right]]);
    if (id != -1 && scores_[id] > -1e10f) heap.push({scores_[id], left, right, id, stamp[left], stamp[right]});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    // Stale if either side was merged or replaced since the candidate was made.
    if (stamp[c.left] != c.left_stamp || stamp[c.right] != c.right_stamp || next[c.left] != c.right) continue;
    tok[c.left] = c.id;
    ++stamp[c.left];
    stamp[c.right] = -1;  // removed
    next[c.left] = next[c.right];
    if (next[c.right] >= 0) prev[next[c.right]] = c.left;
    consider(prev[c.left]);
    consider(c.left);
  }
  std::vector<int> out;
  out.reserve(n + 1);
  for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.push_back(tok[i]);
  if (eos) out.push_back(kEos);
  return out;
}

std::string Tokenizer::decode(int prev_token, int token) const {
  if (token < 0 || token >= vocab_size())
    throw std::out_of_range("token id " + std::to_string(token) + " outside the vocabulary [0, " +
                            std::to_string(vocab_size()) + ")");
  std::string_view piece = pieces_[token];
  if (prev_token == kBos && !piece.empty() && piece[0] == ' ') piece.remove_prefix(1);  // llama2.c PR #89
  // run.c: sscanf(piece, "<0x%02hhX>", &byte) — one or two hex digits after "<0x".
  if (piece.size() >= 4 && piece.starts_with("<0x")) {
    auto hex = [](char ch) {
      if (ch >= '0' && ch <= '9') return ch - '0';
      if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
      if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
      return -1;
    };
    int v = hex(piece[3]);
    if (v >= 0) {
      if (piece.size() > 4 && hex(piece[4]) >= 0) v = v * 16 + hex(piece[4]);
      return std::string(1, static_cast<char>(v));
    }
  }
  return std::string(piece);
}

std::string Tokenizer::decode(const std::vector<int>& tokens) const {
  std::string s;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] == kBos && i == 0) continue;
    s += decode(i == 0 ? -1 : tokens[i - 1], tokens[i]);
  }
  return s;
}

}  // namespace mxlab::model
