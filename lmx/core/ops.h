// SPDX-License-Identifier: MIT
// Every array operation, by family. Ops are free functions with MLX's names; they check
// their arguments (throwing op-tagged errors) and run on the inputs' device.
#pragma once

#include "lmx/core/array.h"
#include "lmx/core/conv.h"
#include "lmx/core/ops_creation.h"
#include "lmx/core/ops_elementwise.h"
#include "lmx/core/ops_index.h"
#include "lmx/core/ops_linalg.h"
#include "lmx/core/ops_reduce.h"
#include "lmx/core/ops_shape.h"
