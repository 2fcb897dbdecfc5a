// A user of the loaders (ein::data, which carries zlib): writes a small IDX
// labels file, plain and gzip-compressed, and reads both back through
// ein::data. Links only when ein::data brings zlib. Exits 0 when it works.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <ein/data/idx.hpp>

int main(int, char** argv) {
  // The labels 0..4 as IDX: magic 0x00000801 (u8, 1 dimension), extent 5, elements.
  const unsigned char idx[] = {0, 0, 8, 1, 0, 0, 0, 5, 0, 1, 2, 3, 4};
  const std::filesystem::path plain = std::string(argv[0]) + "-labels-idx1-ubyte";
  const std::filesystem::path gz = plain.string() + ".gz";
  std::ofstream(plain, std::ios::binary).write(reinterpret_cast<const char*>(idx), sizeof idx);
  gzFile out = gzopen(gz.c_str(), "wb");
  if (!out || gzwrite(out, idx, sizeof idx) != int(sizeof idx) || gzclose(out) != Z_OK) {
    std::printf("consumer_data: cannot write %s\n", gz.c_str());
    return 1;
  }
  for (const std::filesystem::path& p : {plain, gz}) {
    const ein::Tensor<std::uint8_t, 1> labels = ein::data::read_idx_labels(p);
    if (labels.size() != 5 || labels(4) != 4) {
      std::printf("consumer_data: %s read back wrong\n", p.c_str());
      return 1;
    }
  }
  std::printf("consumer_data: ok\n");
  return 0;
}
