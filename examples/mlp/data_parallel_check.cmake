# ctest's mlp_data_parallel_run (examples/mlp/CMakeLists.txt): the same short run
# alone and under `mpirun -np 2` (each process half of every mini-batch, gradients
# averaged) must reach the same test accuracy within 0.5 points.
#   cmake -DMLP=<mlp> -DMPIEXEC=<mpiexec> -DNP_FLAG=-n -P data_parallel_check.cmake
set(args --epochs 1 --limit 12000 --threads 1)
execute_process(COMMAND ${MLP} ${args} OUTPUT_VARIABLE alone ERROR_VARIABLE alone_err RESULT_VARIABLE alone_rc)
message("one process:\n${alone}${alone_err}")
if(alone MATCHES "dataset-fashion-mnist" OR alone_err MATCHES "dataset-fashion-mnist")
  return()  # (ctest reports it skipped)
endif()
execute_process(COMMAND ${MPIEXEC} ${NP_FLAG} 2 ${MLP} ${args} OUTPUT_VARIABLE both ERROR_VARIABLE both_err
                RESULT_VARIABLE both_rc)
message("two processes:\n${both}${both_err}")
if(NOT alone_rc EQUAL 0 OR NOT both_rc EQUAL 0)
  message(FATAL_ERROR "mlp exited with ${alone_rc} alone, ${both_rc} under mpirun")
endif()
foreach(run alone both)  # (mlp prints the accuracy with two decimals: hundredths of a point)
  if(NOT ${run} MATCHES "test accuracy ([0-9]+)\\.([0-9][0-9])%")
    message(FATAL_ERROR "no test accuracy in the ${run} run's output")
  endif()
  math(EXPR ${run}_hundredths "${CMAKE_MATCH_1} * 100 + 1${CMAKE_MATCH_2} - 100")
endforeach()
math(EXPR difference "${alone_hundredths} - ${both_hundredths}")
if(difference GREATER 50 OR difference LESS -50)
  message(FATAL_ERROR "test accuracy ${alone_hundredths} alone, ${both_hundredths} under mpirun (hundredths of a "
                      "point): more than 0.5 points apart")
endif()
message("test accuracy alone and under mpirun -np 2 within 0.5 points (${alone_hundredths}, ${both_hundredths} hundredths)")
