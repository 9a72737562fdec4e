# Runtime integration tests: vigie-ctl, vigie-test-echo, vigie-broker and a
# real redis-server, each scenario with its own broker and Redis.
add_executable(vigie-test-echo ${CMAKE_CURRENT_LIST_DIR}/vg_test_echo.c)
target_link_libraries(vigie-test-echo PRIVATE vigie)

add_library(vg_itest STATIC ${CMAKE_CURRENT_LIST_DIR}/vg_itest.c)
target_link_libraries(vg_itest PUBLIC vigie vigie_gen PkgConfig::CHECK)

add_executable(check_pipeline ${CMAKE_CURRENT_LIST_DIR}/check_pipeline.c)
target_link_libraries(check_pipeline PRIVATE vg_itest PkgConfig::CHECK)
add_dependencies(check_pipeline vigie-test-echo vigie-ctl vigie-broker)

vg_service_tests(pipeline check_pipeline
                 roundtrip group sigkill redis_restart bad_input fixed_port
                 utf8 csv feedback produce_merge)
