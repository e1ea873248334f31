// Replays a fuzz target over every file of its corpus directories, as an ordinary test.
//
// Built with g++ for every build; the same target source links against libFuzzer instead
// when SENDPOOL_FUZZ is on. A target aborts on a broken invariant, which fails the test.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path dir(argv[i]);
    if (!std::filesystem::is_directory(dir)) {
      std::fprintf(stderr, "fuzz replay: %s is not a directory\n", argv[i]);
      return 2;
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++runs;
    }
  }
  std::printf("replayed %zu corpus inputs\n", runs);
  return runs > 0 ? 0 : 1;  // an empty corpus would be a test that cannot fail
}
