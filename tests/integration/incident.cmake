# vigie-incident end to end (with vigie-change where the scenario needs it):
# each scenario with its own broker and Redis.
add_executable(check_incident ${CMAKE_CURRENT_LIST_DIR}/check_incident.c)
target_link_libraries(check_incident PRIVATE vg_itest vigie_gen
                      PkgConfig::CHECK)
add_dependencies(check_incident vigie-incident vigie-change vigie-ctl
                 vigie-broker)

vg_service_tests(incident check_incident
                 e2e bad_records redis_down sigkill shared)
