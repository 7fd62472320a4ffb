// Evaluation text loading and document splitting.
#include "model/text_corpus.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mxlab::model {
namespace {

constexpr std::string_view kSeparator = "<|endoftext|>";

std::string trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open text file (check the path or --data-dir)");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string raw = ss.str(), text;
  text.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i)  // normalize CRLF to LF
    if (!(raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n')) text.push_back(raw[i]);
  return text;
}

std::vector<std::string> split_documents(const std::string& text) {
  std::vector<std::string> docs;
  std::string current;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    if (trim(line) == kSeparator) {
      if (auto d = trim(current); !d.empty()) docs.push_back(std::move(d));
      current.clear();
    } else {
      current.append(line);
      current.push_back('\n');
    }
    pos = end + 1;
  }
  if (auto d = trim(current); !d.empty()) docs.push_back(std::move(d));
  return docs;
}

std::vector<int> tokenize_documents(const Tokenizer& tok, const std::vector<std::string>& docs) {
  std::vector<int> stream;
  for (const std::string& d : docs) {
    const std::vector<int> ids = tok.encode(d, /*bos=*/true);
    stream.insert(stream.end(), ids.begin(), ids.end());
  }
  return stream;
}

std::vector<int> load_eval_tokens(const Tokenizer& tok, const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  std::vector<std::string> docs;
  if (text.find(kSeparator) != std::string::npos) {
    docs = split_documents(text);
  } else {
    // WikiText-2 raw: lines joined with \n (already so after CRLF normalization), one document with BOS first.
    docs.push_back(text);
  }
  if (docs.empty() || (docs.size() == 1 && docs[0].empty()))
    throw std::runtime_error(path.string() + ": no text to evaluate (empty file?)");
  return tokenize_documents(tok, docs);
}

}  // namespace mxlab::model
