# ein_add_compile_fail_test(SOURCE): two ctest tests for one diagnostic rule.
#
#   compile_fail.<rule>.twin   the file as is must compile (its fixed twin)
#   compile_fail.<rule>        with -DEIN_EXPECT_FAIL=1 it must fail, and the
#                              compiler's output must show the expected text
#
# The source states what the failing build must print, one line each:
#   // expect: <text>       any compiler (the static_assert message)
#   // expect-gcc: <text>   g++ only (the template arguments: spec, position, character)
# The texts are literal, not regular expressions. The first `expect:` line is
# also the test's PASS_REGULAR_EXPRESSION; compile_fail_check.cmake checks the
# others, the exit status and the length of the output (EIN_COMPILE_FAIL_MAX_LINES).
#
# Each test calls the compiler directly with -fsyntax-only, from a ctest
# script: no build target, so the tests run in parallel and cost one front-end
# pass each.

# g++ 12 prints 10 lines for each rule (2 "In file included from", the instance
# with spec/position/character, 3 "required from", the error with its caret, a
# note); clang 14 prints 21 (with the row of spec/error.hpp's list that makes the
# diagnostic), and its spec as character codes.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(max_lines 10)
else()
  set(max_lines 21)
endif()
set(EIN_COMPILE_FAIL_MAX_LINES ${max_lines} CACHE STRING "Most lines of compiler output one einsum diagnostic may take")

# A response file with ein::ein's usage requirements (include directories, with
# Eigen's and any BLAS's, and compile definitions), so that each test compiles
# as a user's file would, and tests/support, whose counting device stands for any
# device in the rules about devices (CUDA's would need its toolkit).
function(ein_compile_fail_flags out)
  set(file ${PROJECT_BINARY_DIR}/compile_fail_flags.rsp)
  set(${out} ${file} PARENT_SCOPE)
  get_property(done GLOBAL PROPERTY EIN_COMPILE_FAIL_FLAGS_GENERATED)
  if(done)
    return()
  endif()
  set_property(GLOBAL PROPERTY EIN_COMPILE_FAIL_FLAGS_GENERATED ON)
  set(includes "$<FILTER:$<TARGET_PROPERTY:ein,INTERFACE_INCLUDE_DIRECTORIES>,EXCLUDE,^$>")
  set(definitions "$<TARGET_PROPERTY:ein,INTERFACE_COMPILE_DEFINITIONS>")
  file(GENERATE OUTPUT ${file} CONTENT
"${CMAKE_CXX20_STANDARD_COMPILE_OPTION}
$<$<BOOL:${includes}>:-I\"$<JOIN:${includes},\"\n-I\">\">
-I\"${PROJECT_SOURCE_DIR}/tests/support\"
$<$<BOOL:${definitions}>:-D$<JOIN:${definitions},\n-D>>
")
endfunction()

function(ein_add_compile_fail_test source)
  get_filename_component(rule ${source} NAME_WE)
  get_filename_component(path ${source} ABSOLUTE)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${path})
  ein_compile_fail_flags(flags)

  file(STRINGS ${path} expected REGEX "^// expect: " LIMIT_COUNT 1)
  if(NOT expected)
    message(FATAL_ERROR "${source}: no '// expect: <message>' line")
  endif()
  string(REGEX REPLACE "^// expect: " "" expected "${expected}")
  string(REGEX REPLACE "([][.*+?^$()|\\\\])" "\\\\\\1" expected_regex "${expected}")

  set(check ${CMAKE_COMMAND} -DCOMPILER=${CMAKE_CXX_COMPILER} -DCOMPILER_ID=${CMAKE_CXX_COMPILER_ID}
            -DFLAGS=${flags} -DSOURCE=${path} -DMAX_LINES=${EIN_COMPILE_FAIL_MAX_LINES}
            -P ${PROJECT_SOURCE_DIR}/cmake/compile_fail_check.cmake)
  add_test(NAME compile_fail.${rule}.twin COMMAND ${check})
  add_test(NAME compile_fail.${rule} COMMAND ${CMAKE_COMMAND} -DEXPECT_FAIL=1 ${check})
  set_tests_properties(compile_fail.${rule} PROPERTIES
    PASS_REGULAR_EXPRESSION "${expected_regex}"
    FAIL_REGULAR_EXPRESSION "compile_fail: (compiled|missing|too many lines)")
  set_tests_properties(compile_fail.${rule} compile_fail.${rule}.twin PROPERTIES LABELS compile_fail)
endfunction()
