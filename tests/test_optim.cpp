// Optimizers (SGD, Adam, AdamW) and gradient clipping: PyTorch's updates step for step
// (tests/golden/make_golden_optim.py), hand formulas on parameters large enough to be split across
// threads, the checks on parameters and settings, state dicts, and training that resumes from
// saved files bit for bit.
#include <filesystem>
#include <memory>

#include "golden.h"
#include "heed/nn/serialize.h"
#include "heed/optim/adam.h"
#include "heed/optim/clip.h"
#include "heed/optim/schedule.h"
#include "heed/optim/sgd.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;
using testing::golden_cases;
using testing::golden_tensor;
using testing::Json;

std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& kind, const Json& s, std::vector<Tensor> params) {
  auto betas = [&s](float beta1, float beta2) {
    return s.contains("betas") ? std::array<float, 2>{s["betas"][0].get<float>(), s["betas"][1].get<float>()}
                               : std::array<float, 2>{beta1, beta2};
  };
  if (kind == "SGD")
    return std::make_unique<optim::SGD>(params, optim::SGDOptions{.lr = s.at("lr").get<float>(),
                                                                  .momentum = s.value("momentum", 0.0f),
                                                                  .dampening = s.value("dampening", 0.0f),
                                                                  .weight_decay = s.value("weight_decay", 0.0f),
                                                                  .nesterov = s.value("nesterov", false)});
  if (kind == "Adam")
    return std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = s.at("lr").get<float>(),
                                                                    .betas = betas(0.9f, 0.999f),
                                                                    .eps = s.value("eps", 1e-8f),
                                                                    .weight_decay = s.value("weight_decay", 0.0f),
                                                                    .amsgrad = s.value("amsgrad", false)});
  return std::make_unique<optim::AdamW>(params, optim::AdamWOptions{.lr = s.at("lr").get<float>(),
                                                                    .betas = betas(0.9f, 0.999f),
                                                                    .eps = s.value("eps", 1e-8f),
                                                                    .weight_decay = s.value("weight_decay", 1e-2f),
                                                                    .amsgrad = s.value("amsgrad", false)});
}

// ---- PyTorch's updates ----

TEST(Optim, MatchesPyTorchStepForStep) {
  for (const Json& c : golden_cases("optim")) {
    const std::string name = c.at("name").get<std::string>();
    std::vector<Tensor> params;
    for (const Json& p : c.at("params")) params.push_back(golden_tensor(p).set_requires_grad());
    auto optimizer = make_optimizer(c.at("optimizer").get<std::string>(), c.at("settings"), params);
    std::unique_ptr<optim::NoamSchedule> schedule;
    if (!c.at("schedule").is_null()) {
      const Json& s = c.at("schedule");
      schedule = std::make_unique<optim::NoamSchedule>(
          *optimizer, optim::NoamOptions{.d_model = s.at("d_model").get<int64_t>(),
                                         .warmup_steps = s.at("warmup_steps").get<int64_t>(),
                                         .factor = s.at("factor").get<double>()});
    }
    int step = 0;
    for (const Json& expected : c.at("steps")) {
      ++step;
      for (size_t i = 0; i < params.size(); ++i) {
        const Json& g = expected.at("grads")[i];
        params[i].set_grad(g.is_null() ? Tensor() : golden_tensor(g));
      }
      optimizer->step();
      if (schedule) schedule->step();
      // To a few float32 ulps: the compiler fuses multiply-adds PyTorch rounds separately (and
      // vice versa), and heed's hyper-parameters are float32 where PyTorch's are doubles.
      for (size_t i = 0; i < params.size(); ++i)
        EXPECT_TRUE(all_close(params[i], golden_tensor(expected.at("params")[i]), 1e-7, 1e-6))
            << name << ": parameter " << i << " after step " << step;
    }
    // The second parameter had no gradient at step 3: PyTorch neither updated it nor counted it.
    EXPECT_EQ(optimizer->steps_taken(0), step) << name;
    EXPECT_EQ(optimizer->steps_taken(1), step - 1) << name;
  }
}

TEST(Clip, MatchesPyTorch) {
  for (const Json& c : golden_cases("clip_grad_norm")) {
    const std::string name = c.at("name").get<std::string>();
    std::vector<Tensor> params;
    for (const Json& g : c.at("grads")) {
      Tensor p = zeros(golden_tensor(g).shape(), {.requires_grad = true});
      p.set_grad(golden_tensor(g));
      params.push_back(p);
    }
    params.push_back(zeros({2}, {.requires_grad = true}));  // no gradient: ignored
    float total = optim::clip_grad_norm(params, c.at("max_norm").get<float>());
    EXPECT_NEAR(total, c.at("total_norm").get<double>(), 1e-6 * c.at("total_norm").get<double>()) << name;
    for (size_t i = 0; i < c.at("clipped").size(); ++i)
      EXPECT_TRUE(all_close(params[i].grad(), golden_tensor(c.at("clipped")[i]), 1e-12, 1e-6)) << name << ": " << i;
    EXPECT_FALSE(params.back().grad().defined());
  }
}

// ---- hand formulas, on parameters large enough to be split across threads ----

constexpr int64_t kLarge = 3 * kElementwiseGrain + 17;

TEST(Optim, SgdOnALargeParameterIsPMinusLrTimesG) {
  manual_seed(1);
  Tensor p = randn({kLarge}).set_requires_grad();
  std::vector<float> before = p.to_vector(), grad = randn({kLarge}).to_vector();
  p.set_grad(from_vector(grad));
  optim::SGD sgd({p}, {.lr = 0.25f});
  sgd.step();
  std::vector<float> after = p.to_vector();
  for (size_t i = 0; i < after.size(); ++i) ASSERT_FLOAT_EQ(after[i], before[i] - 0.25f * grad[i]) << i;
}

TEST(Optim, AGradientThatIsAViewIsReadThroughItsStrides) {
  Tensor p = zeros({2, 3}, {.requires_grad = true});
  p.set_grad(make_view(from_vector({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {3, 2}), {2, 3}, {1, 2}, 0));  // [[1, 3, 5], [2, 4, 6]]
  optim::SGD sgd({p}, {.lr = 1.0f});
  sgd.step();
  EXPECT_TRUE(all_close(p, from_vector({-1.f, -3.f, -5.f, -2.f, -4.f, -6.f}, {2, 3}), 0, 0));
}

// Adam's first step: m = (1 − β1)g, v = (1 − β2)g², and after bias correction the update is
// lr · g / (|g| + eps): a step of lr against the sign of g, whatever g's size.
TEST(Optim, AdamFirstStepMovesEachElementByLr) {
  manual_seed(2);
  Tensor p = randn({kLarge}).set_requires_grad();
  std::vector<float> before = p.to_vector();
  Tensor g = randn({kLarge});
  p.set_grad(g);
  optim::Adam adam({p}, {.lr = 1e-2f, .eps = 0.0f});
  adam.step();
  std::vector<float> after = p.to_vector(), grad = g.to_vector();
  for (size_t i = 0; i < after.size(); ++i)
    ASSERT_NEAR(after[i], before[i] - (grad[i] > 0 ? 1e-2f : -1e-2f), 1e-6) << i;
}

// AdamW with a zero gradient only decays: p ← p·(1 − lr·weight_decay).
TEST(Optim, AdamWDecaysParametersWithoutMovingThemOtherwise) {
  Tensor p = full({kLarge}, 2.0, {.requires_grad = true});
  p.set_grad(zeros({kLarge}));
  optim::AdamW adamw({p}, {.lr = 0.1f, .weight_decay = 0.5f});
  adamw.step();
  EXPECT_TRUE(all_close(p, full({kLarge}, 2.0 * (1 - 0.1 * 0.5)), 0, 1e-7));
}

TEST(Clip, LargeGradientsAcrossThreads) {
  Tensor a = zeros({kLarge}, {.requires_grad = true}), b = zeros({3, 4}, {.requires_grad = true});
  a.set_grad(full({kLarge}, 0.5));
  b.set_grad(full({3, 4}, -2.0));
  const double expected = std::sqrt(0.25 * kLarge + 4.0 * 12);
  float total = optim::clip_grad_norm({a, b}, 1.0f);
  EXPECT_NEAR(total, expected, 1e-6 * expected);
  const double scale = 1.0 / (static_cast<float>(expected) + 1e-6);
  EXPECT_TRUE(all_close(a.grad(), full({kLarge}, 0.5 * scale), 0, 1e-6));
  EXPECT_TRUE(all_close(b.grad(), full({3, 4}, -2.0 * scale), 0, 1e-6));
}

TEST(Clip, ScalesAGradientThatIsAView) {
  Tensor p = zeros({2, 3}, {.requires_grad = true});
  Tensor base = from_vector({3.f, 0.f, 0.f, 4.f, 0.f, 0.f}, {3, 2});
  Tensor transposed = make_view(base, {2, 3}, {1, 2}, 0);  // [[3, 0, 0], [0, 4, 0]], norm 5
  p.set_grad(transposed);
  EXPECT_FLOAT_EQ(optim::clip_grad_norm({p}, 0.5f), 5.0f);
  EXPECT_TRUE(all_close(p.grad(), from_vector({0.3f, 0, 0, 0, 0.4f, 0}, {2, 3}), 1e-6, 1e-6));
  EXPECT_EQ(p.grad().impl(), transposed.impl());  // scaled in place
}

TEST(Clip, NothingToClip) {
  Tensor p = zeros({3}, {.requires_grad = true});
  EXPECT_EQ(optim::clip_grad_norm({p}, 1.0f), 0.0f);
  expect_error([&] { optim::clip_grad_norm({p}, -1.0f); }, {"clip_grad_norm", "max_norm -1"});
}

// ---- checks ----

TEST(Optim, RejectsParametersItCannotTrain) {
  Tensor good = zeros({2}, {.requires_grad = true});
  expect_error([] { optim::SGD({}); }, {"SGD", "empty parameter list"});
  expect_error([&] { optim::SGD({good, zeros({3})}); }, {"SGD", "parameter 1", "does not require grad"});
  expect_error([&] { optim::Adam({arange(3)}); }, {"Adam", "parameter 0", "int64", "expected float32"});
  expect_error([&] { optim::Adam({ops::mul(good, 2.0f)}); }, {"Adam", "produced by an op"});
  expect_error([&] { optim::AdamW({good, good}); }, {"AdamW", "listed twice"});
  Tensor transposed = make_view(zeros({3, 2}), {2, 3}, {1, 2}, 0).set_requires_grad();
  expect_error([&] { optim::SGD({transposed}); }, {"SGD", "not contiguous"});
  expect_error([] { optim::SGD({Tensor()}); }, {"SGD", "undefined"});
}

TEST(Optim, RejectsBadSettings) {
  std::vector<Tensor> p = {zeros({2}, {.requires_grad = true})};
  expect_error([&] { optim::SGD(p, {.lr = -0.1f}); }, {"SGD", "learning rate -0.1"});
  expect_error([&] { optim::SGD(p, {.momentum = -1}); }, {"SGD", "momentum -1"});
  expect_error([&] { optim::SGD(p, {.nesterov = true}); }, {"SGD", "nesterov needs momentum > 0"});
  expect_error([&] { optim::SGD(p, {.momentum = 0.9f, .dampening = 0.1f, .nesterov = true}); }, {"dampening 0.1"});
  expect_error([&] { optim::SGD(p, {.weight_decay = -1}); }, {"weight_decay -1"});
  expect_error([&] { optim::Adam(p, {.betas = {1.0, 0.999}}); }, {"Adam", "beta1 1"});
  expect_error([&] { optim::Adam(p, {.betas = {0.9, -0.5}}); }, {"Adam", "beta2 -0.5"});
  expect_error([&] { optim::AdamW(p, {.eps = -1e-8}); }, {"AdamW", "eps"});
  expect_error([&] { optim::AdamW(p, {.weight_decay = -0.01}); }, {"AdamW", "weight_decay"});
  optim::Adam adam(p);
  expect_error([&] { adam.set_lr(std::nanf("")); }, {"Adam", "learning rate nan"});
  EXPECT_FLOAT_EQ(adam.lr(), 1e-3f);
}

TEST(Optim, StepChecksEveryGradientBeforeWritingAny) {
  Tensor a = zeros({2}, {.requires_grad = true}), b = zeros({2}, {.requires_grad = true});
  a.set_grad(ones({2}));
  b.set_grad(from_vector(std::vector<int64_t>{1, 2}));
  optim::SGD sgd({a, b}, {.lr = 1.0f});
  expect_error([&] { sgd.step(); }, {"SGD", "gradient of parameter 1", "int64"});
  EXPECT_TRUE(all_close(a, zeros({2})));  // a was not updated either
  EXPECT_EQ(sgd.steps_taken(0), 0);
}

TEST(Optim, ZeroGradDropsGradients) {
  Tensor a = zeros({2}, {.requires_grad = true});
  a.set_grad(ones({2}));
  optim::Adam adam({a}, {.lr = 1e-3, .betas = {0.9, 0.98}, .eps = 1e-9});
  EXPECT_EQ(adam.options().betas[1], 0.98f);
  adam.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  adam.step();  // nothing to do
  EXPECT_EQ(adam.steps_taken(0), 0);
}

// ---- state dicts ----

std::vector<std::string> keys(const nn::StateDict& state) {
  std::vector<std::string> out;
  for (auto& [key, value] : state) out.push_back(key);
  return out;
}

TEST(Optim, StateDictNamesEveryBufferOfEveryUpdatedParameter) {
  Tensor a = zeros({2, 3}, {.requires_grad = true}), b = zeros({4}, {.requires_grad = true});
  optim::Adam adam({a, b}, {.lr = 0.5f, .amsgrad = true});
  EXPECT_EQ(keys(adam.state_dict()), std::vector<std::string>{"lr"});
  a.set_grad(ones({2, 3}));
  adam.step();
  adam.step();
  nn::StateDict state = adam.state_dict();
  EXPECT_EQ(keys(state), (std::vector<std::string>{"lr", "state.0.exp_avg", "state.0.exp_avg_sq",
                                                   "state.0.max_exp_avg_sq", "state.0.step"}));
  EXPECT_EQ(state["lr"].item<float>(), 0.5f);
  EXPECT_EQ(state["state.0.step"].item<int64_t>(), 2);
  EXPECT_EQ(state["state.0.step"].shape(), Shape{});
  EXPECT_EQ(state["state.0.exp_avg"].shape(), (Shape{2, 3}));
  // m after two steps of g = 1: 0.1 then 0.9·0.1 + 0.1.
  EXPECT_TRUE(all_close(state["state.0.exp_avg"], full({2, 3}, 0.19), 1e-7, 1e-6));

  optim::SGD plain({a}, {.lr = 0.1f});
  plain.step();
  EXPECT_EQ(keys(plain.state_dict()), (std::vector<std::string>{"lr", "state.0.step"}));
  optim::SGD momentum({a}, {.lr = 0.1f, .momentum = 0.9f});
  momentum.step();
  EXPECT_EQ(keys(momentum.state_dict()), (std::vector<std::string>{"lr", "state.0.momentum_buffer", "state.0.step"}));
}

TEST(Optim, LoadStateDictChecksEverythingAndOnErrorChangesNothing) {
  Tensor a = zeros({2, 3}, {.requires_grad = true}), b = zeros({4}, {.requires_grad = true});
  a.set_grad(ones({2, 3}));
  b.set_grad(ones({4}));
  optim::Adam source({a, b}, {.lr = 0.5f});
  source.step();
  const nn::StateDict good = source.state_dict();

  optim::Adam target({a, b}, {.lr = 0.25f});
  auto with = [&good](const std::string& key, Tensor value) {
    nn::StateDict s = good;
    if (value.defined()) s[key] = value;
    else s.erase(key);
    return s;
  };
  auto rejects = [&target](const nn::StateDict& s, std::initializer_list<const char*> parts) {
    expect_error([&] { target.load_state_dict(s); }, parts);
    EXPECT_EQ(target.lr(), 0.25f);
    EXPECT_EQ(target.steps_taken(0), 0);
  };
  rejects(with("lr", Tensor()), {"Adam", "no 'lr'"});
  rejects(with("lr", scalar_tensor(-1)), {"'lr' is -1"});
  rejects(with("state.0.exp_avg", zeros({3, 2})), {"'state.0.exp_avg'", "[3, 2]", "parameter 0", "[2, 3]"});
  rejects(with("state.1.exp_avg_sq", Tensor()), {"state of parameter 1 is incomplete"});
  rejects(with("state.2.step", good.at("state.0.step")), {"'state.2.step'", "has 2 parameters"});
  rejects(with("state.0.momentum_buffer", zeros({2, 3})), {"unexpected key 'state.0.momentum_buffer'"});
  rejects(with("state.0.step", scalar_tensor(1)), {"'state.0.step' must be an int64 scalar"});
  rejects(with("state.01.step", good.at("state.0.step")), {"unexpected key 'state.01.step'"});
  rejects(with("momentum", scalar_tensor(1)), {"unexpected key 'momentum'"});

  target.load_state_dict(good);
  EXPECT_EQ(target.lr(), 0.5f);
  EXPECT_EQ(target.steps_taken(1), 1);
  nn::StateDict loaded = target.state_dict();
  EXPECT_TRUE(all_close(loaded["state.1.exp_avg"], good.at("state.1.exp_avg"), 0, 0));
  EXPECT_NE(loaded["state.1.exp_avg"].storage(), good.at("state.1.exp_avg").storage());  // a copy
}

// ---- resuming from files ----

struct Mlp : nn::Module {
  std::shared_ptr<nn::Linear> hidden = register_module("hidden", nn::Linear(4, 8));
  std::shared_ptr<nn::Linear> out = register_module("out", nn::Linear(8, 3));
  Tensor forward(const Tensor& x) const { return out->forward(ops::tanh(hidden->forward(x))); }  // (B, 3)
};

struct Trainer {
  std::unique_ptr<optim::Optimizer> optimizer;
  std::unique_ptr<optim::Schedule> schedule;
};

Trainer make_trainer(const std::string& kind, const Mlp& model) {
  Trainer t;
  if (kind == "SGD") {
    t.optimizer = std::make_unique<optim::SGD>(
        model.parameters(), optim::SGDOptions{.momentum = 0.9f, .weight_decay = 1e-3f, .nesterov = true});
    t.schedule = std::make_unique<optim::StepDecaySchedule>(
        *t.optimizer, optim::StepDecayOptions{.base_lr = 0.1, .step_size = 3, .gamma = 0.7});
  } else if (kind == "Adam") {
    t.optimizer = std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions{.weight_decay = 1e-2f, .amsgrad = true});
    t.schedule = std::make_unique<optim::NoamSchedule>(*t.optimizer, optim::NoamOptions{.d_model = 8, .warmup_steps = 4});
  } else {
    t.optimizer = std::make_unique<optim::AdamW>(model.parameters());
    t.schedule = std::make_unique<optim::WarmupCosineSchedule>(
        *t.optimizer, optim::WarmupCosineOptions{.base_lr = 0.05, .warmup_steps = 3, .total_steps = 12});
  }
  return t;
}

// Steps [first, last) of a fixed run: batch k is drawn from seed 100 + k, gradients are clipped.
void train(Mlp& model, Trainer& t, int first, int last) {
  for (int k = first; k < last; ++k) {
    manual_seed(100 + static_cast<uint64_t>(k));
    Tensor x = randn({16, 4});                 // (B, 4)
    Tensor targets = randint(0, 3, {16});      // (B)
    t.optimizer->zero_grad();
    ops::cross_entropy(model.forward(x), targets).backward();
    optim::clip_grad_norm(model.parameters(), 0.5f);
    t.optimizer->step();
    t.schedule->step();
  }
}

TEST(Optim, TrainingResumedFromFilesIsBitIdentical) {
  const auto folder = std::filesystem::temp_directory_path() / fmt::format("heed_resume_{}", ::getpid());
  std::filesystem::create_directories(folder);
  constexpr int kSteps = 7;
  for (const std::string kind : {"SGD", "Adam", "AdamW"}) {
    manual_seed(7);
    Mlp straight;
    Trainer straight_trainer = make_trainer(kind, straight);
    train(straight, straight_trainer, 0, 2 * kSteps);

    manual_seed(7);
    Mlp first;
    Trainer first_trainer = make_trainer(kind, first);
    train(first, first_trainer, 0, kSteps);
    nn::save(first, (folder / "model.safetensors").string());
    nn::save(first_trainer.optimizer->state_dict(), (folder / "optimizer.safetensors").string());
    nn::save(first_trainer.schedule->state_dict(), (folder / "schedule.safetensors").string());

    manual_seed(99);  // a different initialisation, overwritten by the checkpoint
    Mlp resumed;
    Trainer resumed_trainer = make_trainer(kind, resumed);
    nn::load_into(resumed, (folder / "model.safetensors").string());
    resumed_trainer.optimizer->load_state_dict(nn::load((folder / "optimizer.safetensors").string()));
    resumed_trainer.schedule->load_state_dict(nn::load((folder / "schedule.safetensors").string()));
    EXPECT_EQ(resumed_trainer.optimizer->lr(), first_trainer.optimizer->lr()) << kind;
    train(resumed, resumed_trainer, kSteps, 2 * kSteps);

    EXPECT_EQ(resumed_trainer.optimizer->lr(), straight_trainer.optimizer->lr()) << kind;
    for (auto& [name, expected] : straight.state_dict())
      EXPECT_EQ(resumed.state_dict().at(name).to_vector(), expected.to_vector()) << kind << ": " << name;
  }
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace heed
