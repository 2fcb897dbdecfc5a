// The main API used once, so that the template bodies behind it are
// instantiated under the warning flags of tests/headers (merely including a
// header checks no template). Compiled, never run: the ctest tests of the other
// areas check what these calls compute.
#include <cstdint>
#include <sstream>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include <ein/autodiff.hpp>
#include <ein/data/batches.hpp>
#include <ein/ein.hpp>

namespace {

template <class T>
void einsums() {
  ein::Tensor<T, 2> a(3, 4), b(4, 5), w(5, 4);
  ein::Tensor<T, 3> batch(2, 3, 3), x(2, 3, 4), y(2, 4, 5);
  ein::Tensor<T, 1> v(4);
  ein::Tensor<T, 0> s;
  ein::Tensor<T, 2> c = ein::einsum<"ij,jk->ik">(a, b);         // GEMM
  c += T(2) * ein::einsum<"ij,lj->li">(w, a);                    // GEMM, alpha and beta
  ein::Tensor<T, 3> bc = ein::einsum<"bij,bjk->bik">(x, y);     // batched GEMM
  ein::Tensor<T, 1> mv = ein::einsum<"ij,j->i">(a, v);          // GEMV
  s = ein::einsum<"i,i->">(v, v);                                 // dot
  ein::Tensor<T, 2> outer = ein::einsum<"i,j->ij">(v, v);       // outer product
  ein::Tensor<T, 1> traces = ein::einsum<"bii->b">(batch);      // diagonal, sum
  ein::Tensor<T, 2> at = ein::einsum<"ij->ji">(a);              // permutation
  ein::Tensor<T, 1> rows = ein::einsum<"ij->i">(a);             // sum
  ein::Tensor<T, 2> chain = ein::einsum<"ab,bc,cd->ad">(a, b, w);  // path search
  ein::Tensor<T, 3> ell = ein::einsum<"...ij,...jk->...ik">(x, y);  // ellipsis
  ein::Tensor<T, 2> rt = ein::einsum("ij,jk->ik", a, b);        // run-time spec
  ein::Tensor<T, 2> e = ein::exp(a) + a * a - T(1);               // element-wise
  ein::Tensor<T, 2> f = ein::apply(ein::math::Gelu{}, a) + ein::leaky_relu(a, 0.1) + ein::silu(a);
  // An element of a tensor just built from an expression (g++ -O3 once warned -Warray-bounds here).
  T first = f(0, 0) + ein::Tensor<T, 1>(ein::exp(v))(3);
  std::ostringstream out;
  out << ein::einsum_path<"ab,bc,cd->ad">(a, b, w);
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> m(3, 4);
  ein::Tensor<T, 2> from_eigen = ein::einsum<"ij,jk->ik">(m, b);
  ein::view(m) = ein::einsum<"ij->ij">(a);
  (void)c, (void)bc, (void)mv, (void)outer, (void)traces, (void)at, (void)rows, (void)chain, (void)ell;
  (void)rt, (void)e, (void)first, (void)from_eigen, (void)s(), (void)a(1, 2), (void)a.extent(0);
}

template <class T>
void training() {
  auto W = ein::param(ein::Tensor<T, 2>(5, 4));
  auto bias = ein::param(ein::Tensor<T, 1>(5));
  ein::nn::kaiming_uniform(W, 42, {.nonlinearity = ein::nn::Nonlinearity::relu});
  ein::nn::xavier_normal(W, 7);
  ein::nn::uniform(bias, 1, -0.1, 0.1);
  ein::optim::SGD sgd({W, bias}, {.lr = T(0.1), .momentum = T(0.9)});
  ein::optim::Adam adam({W, bias});
  auto X = ein::constant(ein::Tensor<T, 2>(3, 4));
  auto a = ein::einsum<"ij,lj->li">(W, X) + bias;
  auto h = ein::relu(a);
  auto o = ein::tanh(h) * ein::sigmoid(h) - ein::exp(h) / (ein::log(ein::abs(h) + T(1)) + T(1)) +
           ein::gelu(a) * ein::silu(a) - ein::leaky_relu(a, 0.2) +
           ein::apply(ein::with_derivative([](T x) { return x * x; }, [](T x, T) { return 2 * x; }), a);
  auto sm = ein::softmax(o, 1) + ein::log_softmax(o, 1);
  const std::vector<int> labels{0, 1, 2};
  auto loss = ein::cross_entropy(o, std::span<const int>(labels)) + ein::mean(sm) + ein::sum(ein::pow(h, T(2))) +
              ein::mse_loss(o, ein::Tensor<T, 2>(3, 5));
  sgd.zero_grad();
  adam.zero_grad();
  loss.backward();
  sgd.step();
  adam.step();
  ein::data::Batches<ein::Host, T> batches(ein::Tensor<T, 2>(6, 4), std::vector<int>{0, 1, 2, 0, 1, 2});
  batches.set_order(std::vector<ein::index_t>{5, 4, 3, 2, 1, 0});
  auto [xb, yb] = batches.batch(batches.size() - 3, 3);
  auto ob = ein::einsum<"ij,lj->li">(W, ein::constant(std::move(xb)));
  ein::nn::RunningScore<> score;
  score.add(ob, yb, ein::cross_entropy(ob, yb));
  score.add(ob, labels, ein::cross_entropy(ob, yb));
  (void)score.read();
}

}  // namespace

// Referenced, so that every instantiation is made and checked.
extern void (*const ein_header_usage[])();
void (*const ein_header_usage[])() = {&einsums<float>, &einsums<double>, &training<float>, &training<double>};
