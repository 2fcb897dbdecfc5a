# cmake -DCOMPILER=... -DCOMPILER_ID=... -DFLAGS=<response file> -DSOURCE=...
#       [-DEXPECT_FAIL=1 -DMAX_LINES=n] -P compile_fail_check.cmake
# One compile-fail check (see compile_fail.cmake). Without EXPECT_FAIL the
# source must compile. With it, the compile must fail and print every
# `// expect:` text of the source (and `// expect-gcc:` under g++) in at most
# MAX_LINES lines. Problems are printed as "compile_fail: <problem>" lines,
# which the test's FAIL_REGULAR_EXPRESSION catches.
set(ENV{LC_ALL} C)  # g++ quotes with ' rather than locale quotes
set(define)
if(EXPECT_FAIL)
  set(define -DEIN_EXPECT_FAIL=1)
endif()
execute_process(COMMAND ${COMPILER} @${FLAGS} -fsyntax-only -fdiagnostics-color=never ${define} ${SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output)
get_filename_component(name ${SOURCE} NAME)

if(NOT EXPECT_FAIL)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}: the compiling twin does not compile:\n${output}")
  endif()
  message(STATUS "${name}: the twin compiles")
  return()
endif()

message("${output}")
string(REGEX MATCHALL "\n" newlines "${output}")
list(LENGTH newlines lines)
message("${name}: ${lines} lines of compiler output")
if(rc EQUAL 0)
  message("compile_fail: compiled, but ${name} must not")
endif()
if(lines GREATER MAX_LINES)
  message("compile_fail: too many lines: ${lines}, at most ${MAX_LINES}")
endif()
file(STRINGS ${SOURCE} expectations REGEX "^// expect(-gcc)?: ")
foreach(line IN LISTS expectations)
  if(line MATCHES "^// expect-gcc: " AND NOT COMPILER_ID STREQUAL "GNU")
    continue()
  endif()
  string(REGEX REPLACE "^// expect(-gcc)?: " "" text "${line}")
  string(FIND "${output}" "${text}" at)
  if(at EQUAL -1)
    message("compile_fail: missing: ${text}")
  endif()
endforeach()
