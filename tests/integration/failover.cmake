# vigie-change failover and its checks at start (issue 12): kill -9 of one
# of two instances, a restart in place, a Redis that refuses it (no or a
# wrong password). Each scenario with its own broker and Redis; the
# measured seconds are printed in the test output.
add_executable(check_failover ${CMAKE_CURRENT_LIST_DIR}/check_failover.c)
target_link_libraries(check_failover PRIVATE vg_itest vigie_gen
                      PkgConfig::CHECK)
add_dependencies(check_failover vigie-change vigie-ctl vigie-broker)

vg_service_tests(failover check_failover kill restart auth auth_runtime)
