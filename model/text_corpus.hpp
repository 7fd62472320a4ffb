// Evaluation texts to token streams: multi-document TinyStories files and single-document WikiText-2 raw.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "model/tokenizer.hpp"

namespace mxlab::model {

// Splits at lines consisting only of "<|endoftext|>" (TinyStories), trims each document's leading/trailing
// whitespace and drops empty documents.
std::vector<std::string> split_documents(const std::string& text);

// Each document tokenized on its own with BOS first, concatenated into one stream (TinyStories convention).
std::vector<int> tokenize_documents(const Tokenizer& tok, const std::vector<std::string>& docs);

// Reads a text file for evaluation: CRLF -> LF; if it contains "<|endoftext|>" separator lines it is treated as
// multiple documents (split_documents), otherwise as one document with BOS first (WikiText-2 raw convention).
std::vector<int> load_eval_tokens(const Tokenizer& tok, const std::filesystem::path& path);

std::string read_text_file(const std::filesystem::path& path);  // throws naming the file

}  // namespace mxlab::model
