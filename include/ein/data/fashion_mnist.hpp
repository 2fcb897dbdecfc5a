// Fashion-MNIST (and MNIST, which has the same files): an images/labels pair
// of IDX files checked against each other, and load_fashion_mnist(dir), which
// finds the four files of the data set and returns float images [N, 784] in
// [0, 1] (or standardised) with integer labels. Layer: data.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ein/data/idx.hpp"

namespace ein::data {

/// Where Debian's dataset-fashion-mnist package puts the files.
inline const std::filesystem::path default_fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

/// The class names, in label order.
inline constexpr std::array<const char*, 10> fashion_mnist_classes = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

/// Examples in rows: images [N, rows * cols], labels [N] in [0, classes).
struct Split {
  Tensor<float, 2> images;
  std::vector<int> labels;

  [[nodiscard]] index_t size() const { return images.extent(0); }
};

struct FashionMnist {
  Split train;
  Split test;
  /// The shift and scale applied to every pixel after dividing by 255
  /// (0 and 1 unless loaded with normalize).
  float mean = 0.0f;
  float std = 1.0f;
};

struct LoadOptions {
  /// Standardise pixels with the training set's mean and standard deviation
  /// (over all pixels), test set included.
  bool normalize = false;
};

/// Reads an images file (u8 [N, rows, cols]) and its labels file (u8 [N]):
/// images become floats [N, rows * cols] divided by 255. Throws data_error when
/// the counts differ or a label is not below `classes`.
inline Split load_idx_split(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                            int classes = 10) {
  const IdxArray images = detail::read_idx_expecting(images_path, idx_images_magic, "images (u8, 3 dimensions)");
  const IdxArray labels = detail::read_idx_expecting(labels_path, idx_labels_magic, "labels (u8, 1 dimension)");
  const index_t n = images.extents[0];
  if (labels.extents[0] != n)
    throw data_error("IDX files " + detail::quoted(images_path) + " and " + detail::quoted(labels_path) + ": " +
                     std::to_string(n) + " images but " + std::to_string(labels.extents[0]) + " labels");
  Split out;
  out.labels.resize(static_cast<std::size_t>(n));
  const std::uint8_t* l = labels.elements().data();
  for (index_t i = 0; i < n; ++i) {
    if (l[i] >= classes)
      detail::fail(labels_path, "label " + std::to_string(l[i]) + " of example " + std::to_string(i) +
                                    " is not a class (expected 0 to " + std::to_string(classes - 1) + ")");
    out.labels[static_cast<std::size_t>(i)] = l[i];
  }
  out.images = Tensor<float, 2>(n, images.extents[1] * images.extents[2]);
  const std::uint8_t* in = images.elements().data();
  float* px = out.images.data();
  for (index_t k = 0; k < out.images.size(); ++k) px[k] = static_cast<float>(in[k]) * (1.0f / 255.0f);
  return out;
}

namespace detail {
/// `dir/name.gz`, else `dir/name`, else empty.
inline std::filesystem::path find_idx(const std::filesystem::path& dir, const std::string& name) {
  std::error_code ec;
  for (const std::filesystem::path& p : {dir / (name + ".gz"), dir / name})
    if (std::filesystem::is_regular_file(p, ec)) return p;
  return {};
}

inline void standardize(Split& s, float mean, float std) {
  float* px = s.images.data();
  const float inv = 1.0f / std;
  for (index_t k = 0; k < s.images.size(); ++k) px[k] = (px[k] - mean) * inv;
}
}  // namespace detail

/// Loads Fashion-MNIST from `dir`, which holds train-images-idx3-ubyte,
/// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte,
/// each gzip-compressed (.gz) or plain. Train: 60000 examples, test: 10000.
/// Throws data_error naming the Debian package when the files are not there.
inline FashionMnist load_fashion_mnist(const std::filesystem::path& dir = default_fashion_mnist_dir,
                                       LoadOptions options = {}) {
  const std::array<std::string, 4> names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  std::array<std::filesystem::path, 4> paths;
  std::string missing;
  for (std::size_t i = 0; i < names.size(); ++i) {
    paths[i] = detail::find_idx(dir, names[i]);
    if (paths[i].empty()) missing += (missing.empty() ? "" : ", ") + names[i] + "[.gz]";
  }
  if (!missing.empty())
    throw data_error("Fashion-MNIST not found in " + detail::quoted(dir) + ": missing " + missing +
                     ". Install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), "
                     "which puts it in " + detail::quoted(default_fashion_mnist_dir) +
                     ", or give the folder that holds the four files");
  FashionMnist out;
  out.train = load_idx_split(paths[0], paths[1]);
  out.test = load_idx_split(paths[2], paths[3]);
  if (options.normalize) {
    double sum = 0, sum_sq = 0;
    const float* px = out.train.images.data();
    const index_t count = out.train.images.size();
    for (index_t k = 0; k < count; ++k) {
      sum += px[k];
      sum_sq += double(px[k]) * px[k];
    }
    const double mean = count ? sum / double(count) : 0.0;
    const double var = count ? sum_sq / double(count) - mean * mean : 0.0;
    out.mean = static_cast<float>(mean);
    out.std = var > 0 ? static_cast<float>(std::sqrt(var)) : 1.0f;
    detail::standardize(out.train, out.mean, out.std);
    detail::standardize(out.test, out.mean, out.std);
  }
  return out;
}

}  // namespace ein::data
