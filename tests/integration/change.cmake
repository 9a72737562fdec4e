# vigie-change end to end: each scenario with its own broker and Redis.
add_executable(check_change ${CMAKE_CURRENT_LIST_DIR}/check_change.c)
target_link_libraries(check_change PRIVATE vg_itest vigie_gen vg_change
                      PkgConfig::CHECK)
target_compile_definitions(check_change PRIVATE
                           VG_SOURCE_SCHEMAS="${PROJECT_SOURCE_DIR}/schemas")
add_dependencies(check_change vigie-change vigie-ctl vigie-broker)

vg_service_tests(change check_change
                 e2e bad_records produce_fails alert_replay redis_down sigkill bootstrap
                 kill_learns_once two_instances poison_time)

# Replay-stable context: one partition, so the stream has one order.
add_test(NAME integration_change_replay_stable
         COMMAND ${PROJECT_SOURCE_DIR}/tests/run_with_services.sh
                 --redis --broker $<TARGET_FILE:vigie-broker> --partitions 1
                 -- $<TARGET_FILE:check_change>)
set_tests_properties(integration_change_replay_stable PROPERTIES
        LABELS integration TIMEOUT 450
        ENVIRONMENT "CK_RUN_CASE=replay_stable;VG_BIN_DIR=${CMAKE_BINARY_DIR}/bin;VG_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
