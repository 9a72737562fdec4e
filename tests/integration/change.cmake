# vigie-change end to end: each scenario with its own broker and Redis.
add_executable(check_change ${CMAKE_CURRENT_LIST_DIR}/check_change.c)
target_link_libraries(check_change PRIVATE vg_itest vigie_gen PkgConfig::CHECK)
add_dependencies(check_change vigie-change vigie-ctl vigie-broker)

vg_service_tests(change check_change
                 e2e bad_records produce_fails alert_replay redis_down sigkill bootstrap)
