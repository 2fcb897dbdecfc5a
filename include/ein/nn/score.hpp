// RunningScore<D>: the loss and accuracy of a stretch of classification steps,
// summed where the logits live (on a GPU, by one kernel a step into device
// counters), so a training loop reads them back only when it prints, not every
// step as `loss.item()` and `(logits.argmax(1) == y).sum().item()` do in PyTorch.
// Written once against the device's table (score_sums, add_score, read_score).
// Layer: nn.
#pragma once

#include <span>
#include <string>
#include <utility>

#include "ein/autodiff/var.hpp"

namespace ein::nn {

template <class D = Host>
class RunningScore {
 public:
  /// Adds a step: its mean loss times its rows, and its rows whose first largest
  /// logit is at their label (labels as the device holds them: data::Batches gives
  /// them so). Throws ein::shape_error when there is not one label per row.
  template <class T>
  void add(const Var<T, 2, D>& logits, const typename D::labels& labels, const Var<T, 0, D>& loss) {
    ein::detail::check_label_count("RunningScore::add", "logits", labels.size(), logits.extents());
    D::add_score(logits.value(), labels, loss.value(), sums_);
  }
  /// The same with labels from the host, as cross_entropy takes them (copied to the
  /// device each call: on a GPU, data::Batches's labels save that copy). A label
  /// outside [0, C) counts as wrong.
  template <class T>
  void add(const Var<T, 2, D>& logits, std::span<const int> labels, const Var<T, 0, D>& loss) {
    ein::detail::check_label_count("RunningScore::add", "logits", labels.size(), logits.extents());  // (before a copy)
    add(logits, D::labels_from_host(ein::detail::pooled_vector<index_t>(labels.begin(), labels.end()), logits.value()),
        loss);
  }
  /// {the loss summed over rows, the rows classified right} since construction
  /// (or reset); reads the device's counters back.
  [[nodiscard]] std::pair<double, index_t> read() const { return D::read_score(sums_); }
  void reset() { sums_ = {}; }

 private:
  typename D::score_sums sums_;
};

}  // namespace ein::nn
