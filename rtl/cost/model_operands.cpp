// Real stories260K operands for the cost flow (model_operands.hpp).
#include "rtl/cost/model_operands.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "model/load_model.hpp"
#include "model/runtime.hpp"
#include "model/tokenizer.hpp"

namespace mxlab::cost {

Operands stories260k_operands(const std::string& data_dir, int tokens) {
  namespace fs = std::filesystem;
  const fs::path dir(data_dir);
  std::ifstream text(dir / "text/tinystories-valid-dev.txt");
  if (!text) throw std::runtime_error("cannot read " + (dir / "text/tinystories-valid-dev.txt").string());
  std::stringstream ss;
  ss << text.rdbuf();
  std::string story = ss.str();
  story = story.substr(0, story.find("<|endoftext|>"));
  const model::Tokenizer tok(dir / "models/tok512.bin");
  std::vector<int> ids = tok.encode(story, true);
  if (static_cast<int>(ids.size()) < tokens) throw std::runtime_error("the first story has fewer than the tokens asked for");
  ids.resize(tokens);
  const auto weights = std::make_shared<model::ModelWeights>(model::load_model((dir / "models/stories260K.bin").string()));
  const model::LinearId id{0, model::LinearKind::q};
  struct Capture : model::LinearObserver {
    model::LinearId want;
    model::Matrix x;
    void observe(model::LinearId i, const model::Matrix& m) override {
      if (i == want && x.size() == 0) x = m;
    }
  } cap;
  cap.want = id;
  model::Runtime rt(weights);
  model::ForwardOptions o;
  o.observer = &cap;
  o.n_layers = 1;
  rt.forward(ids, o);
  const model::Matrix& w = weights->linear(id).weight;
  Operands op;
  op.what = "stories260K layer 0 wq (64 x 64) x its FP32 inputs, first " + std::to_string(tokens) +
            " tokens of TinyStories valid story 1";
  op.k = static_cast<int>(w.cols());
  op.weight.assign(w.data(), w.data() + w.size());
  op.activation.assign(cap.x.data(), cap.x.data() + cap.x.size());
  if (cap.x.cols() != w.cols()) throw std::runtime_error("captured input width differs from wq's");
  return op;
}

}  // namespace mxlab::cost
