// Batches<D>: a data set's examples where device D reads them, and its mini-batches
// gathered there in an order the caller sets (PyTorch's DataLoader over a sampler,
// without worker processes). Written once against the device's table
// (backend/host_device.hpp: rows, copy_rows, gather_rows): on the host a batch is
// its rows copied from the data set itself; on a GPU the data set is copied once, the
// order once per set_order, and a batch is gathered by one kernel, so a training
// step copies nothing between host and device. Layer: data.
#pragma once

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ein/backend/host_device.hpp"

namespace ein::data {

template <class D = Host, class T = float>
class Batches {
 public:
  using tensor = Tensor<T, 2, D>;
  using labels = typename D::labels;

  /// Examples in rows, images [N, features] and their N class labels (a
  /// data::Split's two members), on device D. A device that reads host tensors (the host) reads
  /// `images` itself, which must then outlive this object; another gets a copy.
  /// ein::shape_error when there is not one label per row.
  Batches(const Tensor<T, 2>& images, std::span<const int> classes) {
    check_labels(images, classes);
    if constexpr (reads_host) images_ = &images;
    else images_ = &copy_.emplace(D::from_host(images));
    set_labels(classes);
  }
  /// The same from a temporary, which this object keeps (moved, on the host).
  Batches(Tensor<T, 2>&& images, std::span<const int> classes) {
    check_labels(images, classes);
    if constexpr (reads_host) images_ = &copy_.emplace(std::move(images));
    else images_ = &copy_.emplace(D::from_host(images));
    set_labels(classes);
  }
  Batches(const Batches&) = delete;  // (images_ may point into copy_)
  Batches& operator=(const Batches&) = delete;

  /// Examples (rows) in the data set.
  [[nodiscard]] index_t size() const { return images_->extent(0); }
  /// Batches draw rows in this order from now on (the identity until then): any
  /// row numbers in [0, size()), repeats allowed; std::out_of_range names one outside.
  void set_order(std::span<const index_t> order) {
    for (std::size_t k = 0; k < order.size(); ++k)
      if (order[k] < 0 || order[k] >= size())
        throw std::out_of_range("Batches::set_order: row " + std::to_string(order[k]) + " at position " +
                                std::to_string(k) + " is outside a data set of " + std::to_string(size()) + " rows");
    D::copy_rows(order, order_);
    order_size_ = static_cast<index_t>(order.size());
  }
  /// The rows at positions [first, first + n) of the order: x [n, features] and
  /// their labels. std::out_of_range when the order has fewer positions.
  [[nodiscard]] std::pair<tensor, labels> batch(index_t first, index_t n) const {
    if (first < 0 || n < 0 || first > order_size_ - n)
      throw std::out_of_range("Batches::batch: " + std::to_string(n) + " rows from position " + std::to_string(first) +
                              " of an order of " + std::to_string(order_size_));
    return D::gather_rows(*images_, labels_, order_, first, n);
  }

 private:
  static constexpr bool reads_host = std::is_same_v<tensor, Tensor<T, 2>>;

  static void check_labels(const Tensor<T, 2>& images, std::span<const int> classes) {
    ein::detail::check_label_count("Batches", "images", classes.size(), images.extents());
  }
  void set_labels(std::span<const int> classes) {
    labels_ = D::labels_from_host(ein::detail::pooled_vector<index_t>(classes.begin(), classes.end()), *images_);
    std::vector<index_t> identity(classes.size());
    for (std::size_t r = 0; r < identity.size(); ++r) identity[r] = static_cast<index_t>(r);
    set_order(identity);
  }

  std::optional<tensor> copy_;
  const tensor* images_ = nullptr;
  labels labels_;
  typename D::rows order_;
  index_t order_size_ = 0;
};

}  // namespace ein::data
