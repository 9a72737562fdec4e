# Runtime integration tests: vigie-ctl, vigie-test-echo, vigie-broker and a
# real redis-server, each scenario with its own broker and Redis.
add_executable(vigie-test-echo ${CMAKE_CURRENT_LIST_DIR}/vg_test_echo.c)
target_link_libraries(vigie-test-echo PRIVATE vigie)

add_library(vg_itest STATIC ${CMAKE_CURRENT_LIST_DIR}/vg_itest.c)
target_link_libraries(vg_itest PUBLIC vigie)

add_executable(check_pipeline ${CMAKE_CURRENT_LIST_DIR}/check_pipeline.c)
target_link_libraries(check_pipeline PRIVATE vg_itest PkgConfig::CHECK)

foreach(case roundtrip group sigkill redis_restart bad_input fixed_port)
        add_test(NAME integration_pipeline_${case}
                 COMMAND ${PROJECT_SOURCE_DIR}/tests/run_with_services.sh
                         --redis --broker $<TARGET_FILE:vigie-broker>
                         -- $<TARGET_FILE:check_pipeline>)
        set_tests_properties(integration_pipeline_${case} PROPERTIES
                LABELS integration TIMEOUT 400
                ENVIRONMENT "CK_RUN_CASE=${case};VG_BIN_DIR=${CMAKE_BINARY_DIR}/bin;VG_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endforeach()
