# vigie-change end to end: each scenario with its own broker and Redis.
add_executable(check_change ${CMAKE_CURRENT_LIST_DIR}/check_change.c)
target_link_libraries(check_change PRIVATE vg_itest PkgConfig::CHECK)
add_dependencies(check_change vigie-change vigie-ctl vigie-broker)

foreach(case e2e bad_records redis_down sigkill bootstrap)
        add_test(NAME integration_change_${case}
                 COMMAND ${PROJECT_SOURCE_DIR}/tests/run_with_services.sh
                         --redis --broker $<TARGET_FILE:vigie-broker>
                         -- $<TARGET_FILE:check_change>)
        set_tests_properties(integration_change_${case} PROPERTIES
                LABELS integration TIMEOUT 450
                ENVIRONMENT "CK_RUN_CASE=${case};VG_BIN_DIR=${CMAKE_BINARY_DIR}/bin;VG_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endforeach()
