// The lifecycle table as JSON (convo_describe): what bindings, docs and the CLI's diagram read
// instead of restating the table.
#pragma once

#include "conversation.h"

namespace convo {

Json describe_lifecycle();

}  // namespace convo
