// llama2.c tokenizer: known ids from llama2.c test.c (Llama 2 vocabulary), run.c decode rules, corrupt files.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "model/text_corpus.hpp"
#include "model/tokenizer.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

const Tokenizer& llama2() {
  static const Tokenizer t(test::data_path("models/tokenizer.bin"));
  return t;
}
const Tokenizer& tiny() {
  static const Tokenizer t(test::tok512());
  return t;
}

TEST(Tokenizer, LoadsVocabularies) {
  EXPECT_EQ(llama2().vocab_size(), 32000);
  EXPECT_EQ(tiny().vocab_size(), 512);
  EXPECT_EQ(tiny().piece(3), "<0x00>");
  EXPECT_EQ(tiny().piece(3 + 0x41), "<0x41>");
}

// Expected ids: llama2.c test.c test_prompt_encodings (taken from Meta's Llama 2 sentencepiece model).
TEST(Tokenizer, EncodesLikeLlama2cTestC) {
  EXPECT_EQ(llama2().encode("", true), (std::vector<int>{1}));
  EXPECT_EQ(llama2().encode("I believe the meaning of life is", true),
            (std::vector<int>{1, 306, 4658, 278, 6593, 310, 2834, 338}));
  EXPECT_EQ(llama2().encode("Simply put, the theory of relativity states that ", true),
            (std::vector<int>{1, 3439, 17632, 1925, 29892, 278, 6368, 310, 14215, 537, 5922, 393, 29871}));
  EXPECT_EQ(llama2().encode("A brief message congratulating the team on the launch:\n\n        Hi everyone,\n\n        I just ",
                            true),
            (std::vector<int>{1,   319,   11473, 2643, 378,  629,  271,  18099, 278,   3815, 373,  278,  6826,
                              29901, 13, 13, 4706, 6324, 14332, 29892, 13, 13, 4706, 306, 925, 29871}));
  EXPECT_EQ(llama2().encode("Translate English to French:\n\n        sea otter => loutre de mer\n        peppermint => "
                            "menthe poivrée\n        plush girafe => girafe peluche\n        cheese =>",
                            true),
            (std::vector<int>{1,    4103, 9632, 4223, 304,  5176, 29901, 13,  13,   4706, 7205, 4932,  357,
                              1149, 301,  449,  276,  316,  2778, 13,    4706, 1236, 407,  837,  524,   1149,
                              6042, 354,  772,  440,  29878, 1318, 13,   4706, 715,  1878, 330,  3055,  1725,
                              1149, 330,  3055, 1725, 4639, 28754, 13,   4706, 923,  968,  1149}));
}

TEST(Tokenizer, ByteFallbackAndEos) {
  // tok512 has no CJK pieces: each UTF-8 byte of U+4E2D (E4 B8 AD) becomes byte token + 3.
  const auto ids = tiny().encode("\xE4\xB8\xAD", true, true);
  ASSERT_GE(ids.size(), 5u);
  EXPECT_EQ(ids.front(), kBos);
  EXPECT_EQ(ids.back(), kEos);
  const std::vector<int> tail(ids.end() - 4, ids.end() - 1);
  EXPECT_EQ(tail, (std::vector<int>{0xE4 + 3, 0xB8 + 3, 0xAD + 3}));
}

TEST(Tokenizer, HeapEncoderEqualsRunCLoop) {
  const std::string text = read_text_file(test::data_path("text/tinystories-valid-dev.txt"));
  const auto docs = split_documents(text);
  ASSERT_GT(docs.size(), 100u);
  for (std::size_t d = 0; d < 20; ++d) {
    EXPECT_EQ(tiny().encode(docs[d], true), tiny().encode_reference(docs[d], true)) << "document " << d;
    EXPECT_EQ(llama2().encode(docs[d], true), llama2().encode_reference(docs[d], true)) << "document " << d;
  }
  std::mt19937 rng(1);  // random byte strings incl. invalid UTF-8 and stray continuation bytes
  for (int i = 0; i < 200; ++i) {
    std::string s(rng() % 40, ' ');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? 0x80 + rng() % 0x80 : 0x20 + rng() % 0x60);
    EXPECT_EQ(tiny().encode(s, false), tiny().encode_reference(s, false));
  }
}

TEST(Tokenizer, DecodeRoundTripsAndFollowsRunC) {
  const std::string s = "Once upon a time, Lily said: \"hi\"\n\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80 done.";
  EXPECT_EQ(tiny().decode(tiny().encode(s, true)), s);
  EXPECT_EQ(llama2().decode(llama2().encode(s, true)), s);
  EXPECT_EQ(tiny().decode(kBos, 3 + '\n'), "\n");  // <0x0A> -> raw byte
  const int space_once = llama2().encode("Once", false).back();  // " Once"
  EXPECT_EQ(llama2().piece(space_once), " Once");
  EXPECT_EQ(llama2().decode(kBos, space_once), "Once");  // leading space stripped after BOS
  EXPECT_EQ(llama2().decode(13, space_once), " Once");
  EXPECT_THROW(tiny().decode(kBos, 512), std::out_of_range);
}

TEST(Tokenizer, CorruptFilesAreRejectedWithTheFileName) {
  test::TempDir dir;
  const auto bad = dir.path / "bad_tok.bin";
  {
    std::ofstream out(bad, std::ios::binary);
    const int max_len = 7;
    out.write(reinterpret_cast<const char*>(&max_len), 4);
    const float score = 0;
    const int len = 100;  // longer than max_token_length
    out.write(reinterpret_cast<const char*>(&score), 4);
    out.write(reinterpret_cast<const char*>(&len), 4);
  }
  try {
    Tokenizer t(bad);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad_tok.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("length"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tokenizer(dir.path / "missing.bin"), std::runtime_error);
}

TEST(TextCorpus, SplitsTinyStoriesDocuments) {
  const auto docs = split_documents("  first story \n<|endoftext|>\n\n<|endoftext|>\nsecond\nline 2\n\n<|endoftext|>\n");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], "first story");
  EXPECT_EQ(docs[1], "second\nline 2");
  const auto stream = tokenize_documents(tiny(), docs);
  EXPECT_EQ(std::count(stream.begin(), stream.end(), kBos), 2);
  EXPECT_EQ(stream.front(), kBos);
}

}  // namespace
}  // namespace mxlab::model
