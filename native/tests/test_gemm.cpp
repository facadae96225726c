// sgemm/dgemm against a naive double-precision reference: many random shapes (edge sizes,
// primes, all transpose combos, alpha/beta, padded leading dimensions), every kernel
// level this CPU runs, one and several threads.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/parallel.h"
#include "test.h"

namespace {

struct Shape {
  int64_t m, n, k;
};

template <typename T>
struct Problem {
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  T alpha, beta;
  std::vector<T> a, b, c;
};

template <typename T>
Problem<T> make_problem(std::mt19937& rng, bool ta, bool tb, Shape s, T alpha, T beta, int64_t pad) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Problem<T> p{ta, tb, s.m, s.n, s.k, 0, 0, 0, alpha, beta, {}, {}, {}};
  const int64_t arows = ta ? s.k : s.m, acols = ta ? s.m : s.k;
  const int64_t brows = tb ? s.n : s.k, bcols = tb ? s.k : s.n;
  p.lda = acols + pad;
  p.ldb = bcols + pad;
  p.ldc = s.n + pad;
  p.a.resize(size_t(std::max<int64_t>(arows * p.lda, 1)));
  p.b.resize(size_t(std::max<int64_t>(brows * p.ldb, 1)));
  p.c.resize(size_t(std::max<int64_t>(s.m * p.ldc, 1)));
  for (auto& x : p.a) x = T(u(rng));
  for (auto& x : p.b) x = T(u(rng));
  for (auto& x : p.c) x = T(u(rng));
  // beta == 0 must not read C: poison it.
  if (beta == T(0)) for (auto& x : p.c) x = std::numeric_limits<T>::quiet_NaN();
  return p;
}

template <typename T>
std::vector<double> reference(const Problem<T>& p) {
  std::vector<double> c(p.c.begin(), p.c.end());
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      double s = 0;
      for (int64_t l = 0; l < p.k; ++l) {
        const double av = p.ta ? p.a[size_t(l * p.lda + i)] : p.a[size_t(i * p.lda + l)];
        const double bv = p.tb ? p.b[size_t(j * p.ldb + l)] : p.b[size_t(l * p.ldb + j)];
        s += av * bv;
      }
      double& cij = c[size_t(i * p.ldc + j)];
      cij = double(p.alpha) * s + (p.beta == T(0) ? 0.0 : double(p.beta) * cij);
    }
  return c;
}

void call(Problem<float>& p) {
  nw::cpu::sgemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a.data(), p.lda, p.b.data(), p.ldb, p.beta, p.c.data(),
                 p.ldc);
}
void call(Problem<double>& p) {
  nw::cpu::dgemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a.data(), p.lda, p.b.data(), p.ldb, p.beta, p.c.data(),
                 p.ldc);
}

// Returns false (and reports once) on the first wrong element, padding included.
template <typename T>
bool check_problem(Problem<T> p, const std::string& what) {
  const std::vector<double> want = reference(p);
  const std::vector<T> before = p.c;
  call(p);
  const double eps = sizeof(T) == 4 ? 1e-6 : 1e-14;
  const double tol = eps * 8.0 * (double(p.k) + 4.0) * (std::fabs(double(p.alpha)) + 1.0);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.ldc; ++j) {
      const size_t idx = size_t(i * p.ldc + j);
      const bool in_c = j < p.n;
      const double got = double(p.c[idx]);
      const bool ok = in_c ? std::fabs(got - want[idx]) <= tol
                           : (std::isnan(double(before[idx])) ? std::isnan(got) : got == double(before[idx]));
      if (!ok) {
        CHECK_NEAR(got, in_c ? want[idx] : double(before[idx]), tol);
        std::fprintf(stderr, "    %s: element (%lld, %lld)%s\n", what.c_str(), (long long)i, (long long)j,
                     in_c ? "" : " in row padding was written");
        return false;
      }
    }
  return true;
}

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {
      {1, 1, 1},    {1, 1, 7},     {2, 3, 5},    {1, 33, 17},   {33, 1, 17},  {5, 7, 1},     {13, 31, 29},
      {14, 32, 16}, {15, 33, 257}, {28, 64, 64}, {29, 65, 3},   {6, 16, 8},   {7, 17, 9},    {64, 100, 37},
      {97, 83, 71}, {3, 200, 11},  {200, 3, 11}, {127, 129, 300}, {64, 50, 64}, {1, 1000, 19}, {1000, 1, 19},
  };
  return s;
}

template <typename T>
int run_random_suite(const char* level, int threads) {
  nw::cpu::set_num_threads(threads);
  nw::cpu::gemm_set_threads(threads);
  std::mt19937 rng(1234);
  const T alphas[] = {T(1), T(-0.5), T(2.25)};
  const T betas[] = {T(0), T(1), T(-1.5)};
  int failed = 0, count = 0;
  for (const Shape& s : shapes())
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      const T alpha = alphas[count % 3], beta = betas[(count / 3) % 3];
      const int64_t pad = (count % 4 == 3) ? 5 : 0;
      ++count;
      std::string what = std::string(sizeof(T) == 4 ? "sgemm " : "dgemm ") + level + " threads=" +
                         std::to_string(threads) + " m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
                         " k=" + std::to_string(s.k) + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb);
      if (!check_problem(make_problem<T>(rng, ta, tb, s, alpha, beta, pad), what)) ++failed;
    }
  nw::cpu::gemm_set_threads(0);
  nw::cpu::set_num_threads(0);
  return failed;
}

const char* kLevels[] = {"scalar", "avx2", "avx512"};

}  // namespace

TEST_CASE("gemm: sgemm matches a float64 reference on every kernel level") {
  for (const char* level : kLevels) {
    if (!nw::cpu::gemm_force_level(level)) {
      std::printf("  skip sgemm level %s: this CPU cannot run it\n", level);
      continue;
    }
    CHECK(std::string(nw::cpu::gemm_level()) == level);
    CHECK(run_random_suite<float>(level, 1) == 0);
    CHECK(run_random_suite<float>(level, 3) == 0);
  }
  nw::cpu::gemm_force_level(nullptr);
}

TEST_CASE("gemm: dgemm matches a float64 reference on every kernel level") {
  for (const char* level : kLevels) {
    if (!nw::cpu::gemm_force_level(level)) continue;
    CHECK(run_random_suite<double>(level, 1) == 0);
    CHECK(run_random_suite<double>(level, 3) == 0);
  }
  nw::cpu::gemm_force_level(nullptr);
}

TEST_CASE("gemm: MLP shapes, forward and both backward products") {
  // Linear 784→256→128 with batch 64: Y = X·Wᵀ, dX = dY·W, dW = dYᵀ·X.
  std::mt19937 rng(7);
  const Shape fw[] = {{64, 256, 784}, {64, 128, 256}};
  for (const Shape& s : fw) {
    CHECK(check_problem(make_problem<float>(rng, false, true, s, 1.f, 0.f, 0), "forward X·Wᵀ"));
    CHECK(check_problem(make_problem<float>(rng, false, false, {s.m, s.k, s.n}, 1.f, 0.f, 0), "dX = dY·W"));
    CHECK(check_problem(make_problem<float>(rng, true, false, {s.n, s.k, s.m}, 1.f, 1.f, 0), "dW += dYᵀ·X"));
  }
  for (int t : {1, 2}) {
    nw::cpu::set_num_threads(t);
    nw::cpu::gemm_set_threads(t);
    CHECK(check_problem(make_problem<float>(rng, false, false, {64, 256, 784}, 1.f, 0.f, 0), "64×784·784×256"));
    CHECK(check_problem(make_problem<float>(rng, true, false, {784, 256, 64}, 1.f, 0.5f, 0), "Aᵀ·B k=64"));
  }
  nw::cpu::gemm_set_threads(0);
  nw::cpu::set_num_threads(0);
}

TEST_CASE("gemm: large blocked sizes cross every cache block boundary") {
  std::mt19937 rng(11);
  for (int t : {1, 2}) {
    nw::cpu::set_num_threads(t);
    nw::cpu::gemm_set_threads(t);
    CHECK(check_problem(make_problem<float>(rng, false, false, {345, 2100, 530}, 1.f, 0.f, 0), "sgemm big NN"));
    CHECK(check_problem(make_problem<float>(rng, true, true, {700, 130, 600}, -1.f, 2.f, 3), "sgemm big TT"));
    CHECK(check_problem(make_problem<double>(rng, false, true, {300, 1100, 270}, 1.0, 1.0, 1), "dgemm big NT"));
  }
  nw::cpu::gemm_set_threads(0);
  nw::cpu::set_num_threads(0);
}

TEST_CASE("gemm: degenerate sizes and alpha == 0") {
  std::vector<float> c = {1.f, 2.f, 3.f, 4.f};
  const float a = 5.f, b = 6.f;
  nw::cpu::sgemm(false, false, 0, 2, 3, 1.f, &a, 3, &b, 2, 0.f, c.data(), 2);  // m = 0: nothing
  nw::cpu::sgemm(false, false, 2, 0, 3, 1.f, &a, 3, &b, 0, 0.f, c.data(), 2);  // n = 0: nothing
  CHECK(c[0] == 1.f && c[3] == 4.f);
  nw::cpu::sgemm(false, false, 2, 2, 0, 1.f, &a, 1, &b, 2, 2.f, c.data(), 2);  // k = 0: C = beta·C
  CHECK(c[0] == 2.f && c[3] == 8.f);
  c[1] = std::numeric_limits<float>::quiet_NaN();
  nw::cpu::sgemm(false, false, 2, 2, 0, 1.f, &a, 1, &b, 2, 0.f, c.data(), 2);  // beta = 0 clears NaN
  CHECK(c[0] == 0.f && c[1] == 0.f && c[3] == 0.f);
  std::vector<double> cd = {1.0, 2.0};
  const double ad[2] = {1.0, 1.0}, bd[2] = {1.0, 1.0};
  nw::cpu::dgemm(false, false, 1, 2, 1, 0.0, ad, 1, bd, 2, 3.0, cd.data(), 2);  // alpha = 0
  CHECK(cd[0] == 3.0 && cd[1] == 6.0);
}

TEST_CASE("gemm: gemm_force_level rejects unknown levels") {
  CHECK(!nw::cpu::gemm_force_level("sse9"));
  CHECK(nw::cpu::gemm_force_level("scalar"));
  CHECK(nw::cpu::gemm_force_level("auto"));
  CHECK(std::string(nw::cpu::gemm_level()) == nw::cpu::simd_level());
}

TEST_CASE("parallel_for: every index once, nested calls run inline, many small regions") {
  nw::cpu::set_num_threads(3);
  for (int rep = 0; rep < 2000; ++rep) {
    const int64_t n = 1 + rep % 37;
    std::vector<int> hits(size_t(n), 0);
    nw::cpu::parallel_for(0, n, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) hits[size_t(i)]++;
      nw::cpu::parallel_for(0, 4, 1, [&](int64_t, int64_t) {});
    });
    bool ok = true;
    for (int h : hits) ok = ok && h == 1;
    CHECK(ok);
    if (!ok) break;
  }
  nw::cpu::set_num_threads(0);
  CHECK(nw::cpu::num_threads() >= 1);
}

TEST_CASE("gemm: team path (shared packed B) right after a pool resize, X·Wᵀ on two threads") {
  // Regression: a worker created by set_num_threads used to skip a job that started
  // before it first ran, leaving its teammates at a barrier forever.
  std::mt19937 rng(13);
  for (int rep = 0; rep < 20; ++rep) {
    const int t = 2 + rep % 2;
    nw::cpu::set_num_threads(t);
    nw::cpu::gemm_set_threads(t);
    CHECK(check_problem(make_problem<float>(rng, rep % 3 == 1, rep % 2 == 1, {200 + rep, 70, 300}, 1.f, 0.f, 0),
                        "team right after resize"));
  }
  nw::cpu::set_num_threads(2);
  nw::cpu::gemm_set_threads(2);
  // Transposing B packer: full and partial panels of 32, k not a multiple of 16.
  CHECK(check_problem(make_problem<float>(rng, false, true, {64, 256, 784}, 1.f, 0.f, 0), "X·Wᵀ 2 threads"));
  CHECK(check_problem(make_problem<float>(rng, false, true, {300, 45, 37}, 1.f, 1.f, 3), "A·Bᵀ 2 threads"));
  nw::cpu::gemm_set_threads(0);
  nw::cpu::set_num_threads(0);
}

TEST_CASE("parallel_team: members run together and meet at barriers; nested teams run inline") {
  nw::cpu::set_num_threads(2);
  std::atomic<int> arrived{0};
  std::atomic<bool> ok{true};
  nw::cpu::Barrier barrier(2);
  nw::cpu::parallel_team(2, [&](int tid, int team) {
    if (team != 2 || tid < 0 || tid > 1) ok = false;
    for (int round = 1; round <= 100; ++round) {
      arrived.fetch_add(1);
      barrier.wait();
      if (arrived.load() < 2 * round) ok = false;  // nobody passes before both arrived
      barrier.wait();
    }
    nw::cpu::parallel_team(2, [&](int, int inner) {
      if (inner != 1) ok = false;
    });
  });
  CHECK(ok.load());
  CHECK(arrived.load() == 200);
  nw::cpu::set_num_threads(0);
}
