// Liberty syntax (internal to rtl/power/liberty.cpp): the tokenizer and the generic group/attribute tree --
// `name(args) { ... }` groups, `name : value;` simple and `name(args);` complex attributes, /* */ and // comments,
// `\` line continuation -- before any Liberty semantics.
#pragma once

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mxlab::power::detail {

struct Node {  // one group of the file
  std::string type;
  std::vector<std::string> args;
  int line = 0;
  struct Attr {
    std::string name, value;
    int line;
  };
  std::vector<Attr> simple;                                                 // name : value
  std::vector<std::pair<std::string, std::vector<std::string>>> complex_;   // name(args);
  std::vector<Node> groups;
  const std::string* attr(const std::string& name) const {
    for (const Attr& a : simple)
      if (a.name == name) return &a.value;
    return nullptr;
  }
  int line_of(const std::string& name) const {  // the line of a simple attribute (else of the group)
    for (const Attr& a : simple)
      if (a.name == name) return a.line;
    return line;
  }
  const std::vector<std::string>* complex_attr(const std::string& name) const {
    for (const auto& [k, v] : complex_)
      if (k == name) return &v;
    return nullptr;
  }
};

struct Token {
  std::string text;
  bool quoted = false;
  char punct = 0;  // one of ( ) { } : ; , or 0 for a word/string
  int line = 0;
};

class Parser {
 public:
  Parser(const std::string& text, std::string origin) : origin_(std::move(origin)) { tokenize(text); }

  Node parse_top() {
    Node top = parse_statement_group();
    if (pos_ != toks_.size()) fail(toks_[pos_].line, "text after the library group");
    if (top.type != "library") fail(top.line, "the file does not start with a library group");
    return top;
  }

  [[noreturn]] void fail(int line, const std::string& what) const {
    throw std::runtime_error("liberty " + origin_ + ":" + std::to_string(line) + ": " + what);
  }

 private:
  void tokenize(const std::string& s) {
    int line = 1;
    for (std::size_t i = 0; i < s.size();) {
      char c = s[i];
      if (c == '\n') { ++line; ++i; continue; }
      if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
      if (c == '\\') {  // line continuation: a backslash with only blanks after it on its line
        std::size_t e = s.find_first_not_of(" \t\r", i + 1);
        if (e == std::string::npos || s[e] == '\n') { i = e == std::string::npos ? s.size() : e; continue; }
      }
      if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
        std::size_t e = s.find("*/", i + 2);
        if (e == std::string::npos) fail(line, "unterminated /* comment");
        line += static_cast<int>(std::count(s.begin() + i, s.begin() + e, '\n'));
        i = e + 2;
        continue;
      }
      if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') { i = s.find('\n', i); if (i == std::string::npos) i = s.size(); continue; }
      if (c == '"') {
        std::string v;
        int start = line;
        for (++i; i < s.size() && s[i] != '"'; ++i) {
          if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '\n' || s[i + 1] == '\r')) continue;  // continuation
          if (s[i] == '\n') ++line;
          else v += s[i];
        }
        if (i >= s.size()) fail(start, "unterminated string");
        ++i;
        toks_.push_back({v, true, 0, start});
        continue;
      }
      if (std::string("(){}:;,").find(c) != std::string::npos) { toks_.push_back({std::string(1, c), false, c, line}); ++i; continue; }
      std::size_t b = i;
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && std::string("(){}:;,\"").find(s[i]) == std::string::npos)
        ++i;
      toks_.push_back({s.substr(b, i - b), false, 0, line});
    }
  }

  const Token& peek(const char* what) {
    if (pos_ >= toks_.size()) fail(toks_.empty() ? 1 : toks_.back().line, std::string("unexpected end of file, ") + what);
    return toks_[pos_];
  }
  void expect(char p, const char* what) {
    const Token& t = peek(what);
    if (t.punct != p) fail(t.line, std::string("expected '") + p + "' " + what + ", found '" + t.text + "'");
    ++pos_;
  }

  // name ( args ) followed by '{' (a group) or ';'/newline (a complex attribute); or name : value ;
  Node parse_statement_group() {
    const Token& name = peek("expecting a group");
    if (name.punct) fail(name.line, "expected a group name, found '" + name.text + "'");
    Node g;
    g.type = name.text;
    g.line = name.line;
    ++pos_;
    g.args = parse_args();
    expect('{', ("to open group " + g.type).c_str());
    parse_body(g);
    return g;
  }

  std::vector<std::string> parse_args() {
    expect('(', "after a group or attribute name");
    std::vector<std::string> args;
    while (peek("in an argument list").punct != ')') {
      const Token& t = toks_[pos_++];
      if (t.punct == ',') continue;
      if (t.punct) fail(t.line, "unexpected '" + t.text + "' in an argument list");
      args.push_back(t.text);
    }
    ++pos_;
    return args;
  }

  void parse_body(Node& g) {
    while (true) {
      const Token& t = peek(("in group " + g.type + " opened at line " + std::to_string(g.line)).c_str());
      if (t.punct == '}') { ++pos_; if (pos_ < toks_.size() && toks_[pos_].punct == ';') ++pos_; return; }
      if (t.punct == ';') { ++pos_; continue; }
      if (t.punct) fail(t.line, "unexpected '" + t.text + "' in group " + g.type);
      std::string name = t.text;
      int line = t.line;
      ++pos_;
      const Token& n = peek(("after " + name).c_str());
      if (n.punct == ':') {  // simple attribute: the value runs to ';' or the end of its line
        ++pos_;
        std::string value;
        while (pos_ < toks_.size() && toks_[pos_].punct != ';' && toks_[pos_].punct != '}' && toks_[pos_].line == line) {
          if (!value.empty()) value += ' ';
          value += toks_[pos_++].text;
        }
        if (value.empty()) fail(line, "attribute " + name + " has no value");
        if (pos_ < toks_.size() && toks_[pos_].punct == ';') ++pos_;
        g.simple.push_back({std::move(name), std::move(value), line});
      } else if (n.punct == '(') {
        std::vector<std::string> args = parse_args();
        if (pos_ < toks_.size() && toks_[pos_].punct == '{') {
          ++pos_;
          Node sub;
          sub.type = std::move(name);
          sub.args = std::move(args);
          sub.line = line;
          parse_body(sub);
          g.groups.push_back(std::move(sub));
        } else {
          if (pos_ < toks_.size() && toks_[pos_].punct == ';') ++pos_;
          g.complex_.emplace_back(std::move(name), std::move(args));
        }
      } else {
        fail(n.line, "expected ':' or '(' after '" + name + "', found '" + n.text + "'");
      }
    }
  }

  std::string origin_;
  std::vector<Token> toks_;
  std::size_t pos_ = 0;
};

}  // namespace mxlab::power::detail
