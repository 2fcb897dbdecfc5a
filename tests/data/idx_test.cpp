// The IDX reader and the Fashion-MNIST loader on small files this test writes
// itself, plain and gzip-compressed, and on damaged copies: truncated, bad
// magic, trailing bytes, mismatched counts, bad labels, corrupt gzip. Every
// error message must name the file and the problem.
#include <doctest/doctest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ein/data/fashion_mnist.hpp"
#include "ein/data/idx.hpp"

namespace fs = std::filesystem;
using ein::data::data_error;
using Bytes = std::vector<std::uint8_t>;

namespace {

void put_u32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

/// u8 images [n, rows, cols] with pixel (k) = (k * 7 + seed) % 256.
Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, int seed = 0) {
  Bytes b;
  put_u32(b, 0x00000803);
  put_u32(b, n);
  put_u32(b, rows);
  put_u32(b, cols);
  for (std::uint32_t k = 0; k < n * rows * cols; ++k) b.push_back(static_cast<std::uint8_t>((k * 7 + seed) % 256));
  return b;
}

/// u8 labels [n], label i = i % classes.
Bytes idx_labels(std::uint32_t n, int classes = 10) {
  Bytes b;
  put_u32(b, 0x00000801);
  put_u32(b, n);
  for (std::uint32_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(i % classes));
  return b;
}

Bytes gzip(const Bytes& plain) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);  // +16: gzip wrapper
  Bytes out(deflateBound(&z, plain.size()) + 64);
  z.next_in = const_cast<Bytes::value_type*>(plain.data());
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// A fresh folder under the system's temporary folder, removed at the end.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("ein_data_test_" + std::to_string(::getpid()) + "_" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  fs::path write(const std::string& name, const Bytes& bytes) const {
    const fs::path p = path / name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                             static_cast<std::streamsize>(bytes.size()));
    return p;
  }
};

/// The message of the data_error that f throws (fails the test when none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const data_error& e) {
    return e.what();
  }
  FAIL("no ein::data::data_error thrown");
  return {};
}

/// Checks that loading `file` throws a data_error naming the file and containing `problem`.
void check_rejects(const fs::path& file, const std::string& problem, bool labels = false) {
  const std::string what = error_of([&] {
    if (labels)
      (void)ein::data::read_idx_labels(file);
    else
      (void)ein::data::read_idx_images(file);
  });
  INFO("message: ", what);
  CHECK(what.find(file.string()) != std::string::npos);
  CHECK(what.find(problem) != std::string::npos);
}

}  // namespace

TEST_CASE("IDX images and labels read back, plain and gzip") {
  TempDir dir("roundtrip");
  const Bytes images = idx_images(3, 4, 5, 11);
  const Bytes labels = idx_labels(3);
  for (bool compressed : {false, true}) {
    CAPTURE(compressed);
    const std::string ext = compressed ? ".gz" : "";
    const fs::path ip = dir.write("images" + ext, compressed ? gzip(images) : images);
    const fs::path lp = dir.write("labels" + ext, compressed ? gzip(labels) : labels);

    const ein::Tensor<std::uint8_t, 3> im = ein::data::read_idx_images(ip);
    CHECK(im.extents() == ein::Extents<3>{3, 4, 5});
    for (ein::index_t k = 0; k < im.size(); ++k) REQUIRE(int(im.data()[k]) == int((k * 7 + 11) % 256));

    const ein::Tensor<std::uint8_t, 1> lb = ein::data::read_idx_labels(lp);
    CHECK(lb.extents() == ein::Extents<1>{3});
    CHECK(int(lb(2)) == 2);

    const ein::data::IdxArray raw = ein::data::read_idx(ip);
    CHECK(raw.type == ein::data::IdxType::u8);
    CHECK(raw.extents == std::vector<ein::index_t>{3, 4, 5});
    CHECK(raw.elements().size() == 60);
    CHECK(raw.header == 16);

    const ein::data::Split s = ein::data::load_idx_split(ip, lp);
    CHECK(s.size() == 3);
    CHECK(s.images.extents() == ein::Extents<2>{3, 20});
    CHECK(s.images(1, 2) == doctest::Approx(((22 * 7 + 11) % 256) / 255.0));
    CHECK(s.labels == std::vector<int>{0, 1, 2});
  }
}

TEST_CASE("an IDX file with no elements is valid") {
  TempDir dir("empty");
  const fs::path ip = dir.write("images", idx_images(0, 28, 28));
  CHECK(ein::data::read_idx_images(ip).extents() == ein::Extents<3>{0, 28, 28});
}

TEST_CASE("damaged IDX files are rejected with the file and the problem") {
  TempDir dir("damaged");
  const Bytes good = idx_images(2, 3, 3);

  SUBCASE("missing file") { check_rejects(dir.path / "nothing-here", "no such file"); }
  SUBCASE("a folder") { check_rejects(dir.path, "is a directory"); }
  SUBCASE("empty file") { check_rejects(dir.write("empty", {}), "too short for an IDX header"); }
  SUBCASE("truncated data") {
    Bytes b = good;
    b.resize(b.size() - 1);
    check_rejects(dir.write("short", b), "truncated: the header promises 18 bytes of data, the file has 17");
  }
  SUBCASE("truncated header") {
    Bytes b = good;
    b.resize(10);
    check_rejects(dir.write("short-header", b), "truncated header");
  }
  SUBCASE("trailing bytes") {
    Bytes b = good;
    b.push_back(0);
    b.push_back(0);
    check_rejects(dir.write("long", b), "2 bytes after the 18 bytes of data");
  }
  SUBCASE("bad magic: not an IDX file") {
    Bytes b = good;
    b[0] = 0x89;  // a PNG, say
    check_rejects(dir.write("png", b), "bad magic number 0x89000803");
  }
  SUBCASE("bad magic: unknown element type") {
    Bytes b = good;
    b[2] = 0x07;
    check_rejects(dir.write("type", b), "bad magic number 0x00000703");
  }
  SUBCASE("labels where images are expected, and the other way round") {
    check_rejects(dir.write("labels", idx_labels(4)), "magic number 0x00000801 where images");
    check_rejects(dir.write("images", good), "magic number 0x00000803 where labels", true);
  }
  SUBCASE("images of floats") {
    Bytes b;
    put_u32(b, 0x00000D03);
    for (int d = 0; d < 3; ++d) put_u32(b, 1);
    put_u32(b, 0);  // one f32
    CHECK(ein::data::read_idx(dir.write("f32-ok", b)).type == ein::data::IdxType::f32);
    check_rejects(dir.write("f32", b), "magic number 0x00000D03 where images");
  }
  SUBCASE("truncated gzip") {
    Bytes z = gzip(good);
    z.resize(z.size() / 2);
    check_rejects(dir.write("cut.gz", z), "gzip");
  }
  SUBCASE("gzip without its trailer") {
    Bytes z = gzip(good);
    z.resize(z.size() - 8);  // CRC-32 and length gone
    check_rejects(dir.write("no-trailer.gz", z), "gzip");
  }
  SUBCASE("gzip with a wrong CRC") {
    Bytes z = gzip(good);
    z[z.size() - 8] ^= 0xFF;
    check_rejects(dir.write("crc.gz", z), "gzip");
  }
  SUBCASE("gzip with corrupt deflate data") {
    Bytes z = gzip(idx_images(20, 28, 28));
    for (std::size_t k = 12; k < 40; ++k) z[k] = static_cast<std::uint8_t>(0xFF - z[k]);
    check_rejects(dir.write("garbage.gz", z), "gzip");
  }
  SUBCASE("nothing but the gzip magic") { check_rejects(dir.write("magic.gz", {0x1f, 0x8b}), "gzip"); }
  SUBCASE("gzip of a truncated IDX file") {
    Bytes b = good;
    b.resize(b.size() - 5);
    check_rejects(dir.write("short.gz", gzip(b)), "truncated: the header promises 18 bytes");
  }
}

TEST_CASE("an images file and its labels file must agree") {
  TempDir dir("pairs");
  const fs::path ip = dir.write("images", idx_images(5, 2, 2));
  SUBCASE("counts") {
    const fs::path lp = dir.write("labels", idx_labels(4));
    const std::string what = error_of([&] { (void)ein::data::load_idx_split(ip, lp); });
    CHECK(what.find(ip.string()) != std::string::npos);
    CHECK(what.find(lp.string()) != std::string::npos);
    CHECK(what.find("5 images but 4 labels") != std::string::npos);
  }
  SUBCASE("a label that is not a class") {
    Bytes b = idx_labels(5);
    b.back() = 10;
    const fs::path lp = dir.write("labels", b);
    const std::string what = error_of([&] { (void)ein::data::load_idx_split(ip, lp); });
    CHECK(what.find(lp.string()) != std::string::npos);
    CHECK(what.find("label 10 of example 4 is not a class (expected 0 to 9)") != std::string::npos);
  }
}

TEST_CASE("load_fashion_mnist on a small copy: plain and gzip files, normalisation") {
  TempDir dir("fashion");
  dir.write("train-images-idx3-ubyte.gz", gzip(idx_images(6, 28, 28, 1)));
  dir.write("train-labels-idx1-ubyte", idx_labels(6));
  dir.write("t10k-images-idx3-ubyte", idx_images(4, 28, 28, 2));
  dir.write("t10k-labels-idx1-ubyte.gz", gzip(idx_labels(4)));

  const ein::data::FashionMnist raw = ein::data::load_fashion_mnist(dir.path);
  CHECK(raw.train.images.extents() == ein::Extents<2>{6, 784});
  CHECK(raw.test.images.extents() == ein::Extents<2>{4, 784});
  CHECK(raw.train.labels == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(raw.mean == 0.0f);
  CHECK(raw.std == 1.0f);
  for (ein::index_t k = 0; k < raw.train.images.size(); ++k) {
    REQUIRE(raw.train.images.data()[k] >= 0.0f);
    REQUIRE(raw.train.images.data()[k] <= 1.0f);
  }

  const ein::data::FashionMnist z = ein::data::load_fashion_mnist(dir.path, {.normalize = true});
  double sum = 0, sum_sq = 0;
  const ein::index_t n = z.train.images.size();
  for (ein::index_t k = 0; k < n; ++k) {
    sum += z.train.images.data()[k];
    sum_sq += double(z.train.images.data()[k]) * z.train.images.data()[k];
  }
  CHECK(sum / double(n) == doctest::Approx(0.0).epsilon(1e-4).scale(1));
  CHECK(std::sqrt(sum_sq / double(n)) == doctest::Approx(1.0).epsilon(1e-4));
  CHECK(z.test.images(0, 0) == doctest::Approx((raw.test.images(0, 0) - z.mean) / z.std));
}

TEST_CASE("a missing data set names the package to install") {
  TempDir dir("missing");
  dir.write("train-images-idx3-ubyte.gz", gzip(idx_images(1, 28, 28)));
  const std::string what = error_of([&] { (void)ein::data::load_fashion_mnist(dir.path); });
  CHECK(what.find(dir.path.string()) != std::string::npos);
  CHECK(what.find("missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]") !=
        std::string::npos);
  CHECK(what.find("apt-get install dataset-fashion-mnist") != std::string::npos);

  const std::string nowhere = error_of([&] { (void)ein::data::load_fashion_mnist(dir.path / "absent"); });
  CHECK(nowhere.find("missing train-images-idx3-ubyte[.gz]") != std::string::npos);
}

// Registered as its own ctest test, which reports "skipped" (SKIP_REGULAR_EXPRESSION)
// when the Debian package is not installed. EIN_FASHION_MNIST_DIR names another folder.
TEST_CASE("Fashion-MNIST as installed") {
  const char* env = std::getenv("EIN_FASHION_MNIST_DIR");
  const fs::path dir = env ? fs::path(env) : ein::data::default_fashion_mnist_dir;
  if (ein::data::detail::find_idx(dir, "train-images-idx3-ubyte").empty()) {
    MESSAGE("SKIPPED: Fashion-MNIST is not installed in ", dir.string(),
            " (apt-get install dataset-fashion-mnist)");
    return;
  }
  const ein::data::FashionMnist d = ein::data::load_fashion_mnist(dir);
  CHECK(d.train.images.extents() == ein::Extents<2>{60000, 784});
  CHECK(d.test.images.extents() == ein::Extents<2>{10000, 784});
  REQUIRE(d.train.labels.size() == 60000);
  REQUIRE(d.test.labels.size() == 10000);
  // Balanced classes: 6000 of each in train, 1000 in test.
  std::vector<int> train_count(10), test_count(10);
  for (int l : d.train.labels) ++train_count[static_cast<std::size_t>(l)];
  for (int l : d.test.labels) ++test_count[static_cast<std::size_t>(l)];
  CHECK(train_count == std::vector<int>(10, 6000));
  CHECK(test_count == std::vector<int>(10, 1000));
  // Pixel statistics of the training set: mean 0.2860, standard deviation 0.3530.
  const ein::data::FashionMnist z = ein::data::load_fashion_mnist(dir, {.normalize = true});
  CHECK(z.mean == doctest::Approx(0.2860).epsilon(1e-3));
  CHECK(z.std == doctest::Approx(0.3530).epsilon(1e-3));
}
