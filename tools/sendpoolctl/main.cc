// sendpoolctl: the operators' tool for everything in the store (see sendpoolctl(8)).
#include <iostream>
#include <string>
#include <vector>

#include "tools/sendpoolctl/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return sendpool::ctl::run(args, std::cout, std::cerr);
}
