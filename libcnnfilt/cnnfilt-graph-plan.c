/* cnnfilt-graph-plan.c: preparing a graph to run
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cnnfilt_graph_prepare() infers every shape for given input shapes, then
 * plans: which nodes fuse into the node that reads them, which tensors are
 * kept channels-last, and the buffers each node writes, so that running
 * allocates nothing.
 */
#include "cnnfilt-graph-private.h"
#include "cnnfilt-device-private.h"
#include "cnnfilt-error.h"
#include "cnnfilt-tensor-private.h"

#include <omp.h>
#include <string.h>

/* Clears the last plan and sets the input shapes; constants keep theirs. */
static void
reset_plan (CnnfiltGraph *graph, const CnnfiltShape *inputs)
{
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      Node *node = graph->nodes->pdata[i];
      node->last_use = i;
      node->is_output = FALSE;
      node->skipped = FALSE;
      node->aliased = FALSE;
      node->tensor = node->constant;
      g_clear_object (&node->exec);
      g_clear_pointer (&node->run_inputs, g_free);
      node->n_run_inputs = 0;
      if (node->constant != NULL)
        cnnfilt_tensor_get_shape (node->constant, &node->shape);
    }
  for (guint i = 0; i < graph->outputs->len; i++)
    ((Node *) graph->nodes->pdata[g_array_index (graph->outputs, guint, i)])->is_output = TRUE;
  for (guint i = 0; i < graph->inputs->len; i++)
    ((Node *) graph->nodes->pdata[g_array_index (graph->inputs, guint, i)])->shape = inputs[i];
}

/* The dims the ONNX importer computed constants from (Node.expected),
 * checked as soon as the node's shape is known, before a later node
 * fails on what follows from them. */
static gboolean
check_expected (const Node *node, GError **error)
{
  const guint *want = &node->expected.n, *have = &node->shape.n;
  for (guint k = 0; k < 4; k++)
    if (want[k] != 0 && want[k] != have[k])
      {
        g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                     "%s: dim %u is %u, but the model was imported for %u (constants were "
                     "computed from it at import: give the inputs the sizes they declare)",
                     node->name, k, have[k], want[k]);
        return FALSE;
      }
  return TRUE;
}

/* Every op node's output shape, so that a mismatch is reported before
 * anything is allocated. */
static gboolean
infer_shapes (CnnfiltGraph *graph, GError **error)
{
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      Node *node = graph->nodes->pdata[i];
      if (node->op == NULL) /* an input or a constant: its shape is known */
        {
          if (!check_expected (node, error))
            return FALSE;
          continue;
        }
      CnnfiltShape in_shapes[MAX (node->n_inputs, 1)];
      for (guint j = 0; j < node->n_inputs; j++)
        in_shapes[j] = ((Node *) graph->nodes->pdata[node->inputs[j]])->shape;
      if (!cnnfilt_op_infer (node->op, in_shapes, node->n_inputs, &node->shape, error))
        {
          GString *shapes = g_string_new (NULL);
          for (guint j = 0; j < node->n_inputs; j++)
            {
              g_autofree gchar *s = cnnfilt_shape_to_string (&in_shapes[j]);
              g_string_append_printf (shapes, "%s%s", j ? ", " : "", s);
            }
          g_prefix_error (error, "%s (input %s): ", node->name, shapes->str);
          g_string_free (shapes, TRUE);
          return FALSE;
        }
      if (!check_expected (node, error))
        return FALSE;
    }
  return TRUE;
}

/* Fuses into @node the one of its inputs that fuses with it, if any: the
 * source, an op node that only @node reads. With two inputs (a residual
 * add) the other one, of the output's shape, is appended to the source's
 * inputs. */
static void
fuse_into (CnnfiltGraph *graph, Node *node, const guint *readers)
{
  for (guint k = 0; k < node->n_inputs; k++)
    {
      guint src = node->inputs[k], other = node->n_inputs == 2 ? node->inputs[1 - k] : src;
      Node *source = graph->nodes->pdata[src];
      if (source->exec == NULL || source->skipped || source->is_output || readers[src] != 1)
        continue;
      if (node->n_inputs == 2 &&
          (other == src || !cnnfilt_shape_equal (&((Node *) graph->nodes->pdata[other])->shape,
                                                 &node->shape)))
        continue;
      CnnfiltOp *fused = cnnfilt_op_fuse (source->exec, node->op);
      if (fused == NULL)
        continue;
      _cnnfilt_op_set_graph_made (fused);
      g_object_unref (node->exec);
      node->exec = fused;
      g_free (node->run_inputs);
      node->n_run_inputs = source->n_run_inputs + node->n_inputs - 1;
      node->run_inputs = g_new (guint, node->n_run_inputs);
      memcpy (node->run_inputs, source->run_inputs, sizeof (guint) * source->n_run_inputs);
      if (node->n_inputs == 2)
        node->run_inputs[source->n_run_inputs] = other;
      source->skipped = TRUE;
      return;
    }
}

/* The plan: each node runs its own op on its own inputs, except where a
 * node is the only reader of an op node before it and the two fuse; then
 * the reader runs the fused op on the earlier node's inputs and the
 * earlier node is skipped. Chains fuse step by step (conv, batchnorm,
 * relu). Then each tensor's last reader. */
static void
plan_fusion (CnnfiltGraph *graph)
{
  guint n_nodes = graph->nodes->len;
  g_autofree guint *readers = g_new0 (guint, n_nodes);
  for (guint i = 0; i < n_nodes; i++)
    {
      Node *node = graph->nodes->pdata[i];
      for (guint j = 0; j < node->n_inputs; j++)
        readers[node->inputs[j]]++;
    }
  for (guint i = 0; i < n_nodes; i++)
    {
      Node *node = graph->nodes->pdata[i];
      if (node->op == NULL)
        continue;
      node->exec = g_object_ref (node->op);
      node->run_inputs = g_memdup2 (node->inputs, sizeof (guint) * MAX (node->n_inputs, 1));
      node->n_run_inputs = node->n_inputs;
      if (graph->fuse && node->n_inputs > 0 && node->n_inputs <= 2)
        fuse_into (graph, node, readers);
    }
  for (guint i = 0; i < n_nodes; i++)
    {
      Node *node = graph->nodes->pdata[i];
      if (node->exec == NULL || node->skipped)
        continue;
      for (guint j = 0; j < node->n_run_inputs; j++)
        {
          Node *source = graph->nodes->pdata[node->run_inputs[j]];
          source->last_use = MAX (source->last_use, i);
        }
    }
}

/* Whether the two layouts store tensors of @s alike: one channel, or one
 * pixel (a per-channel scale, a squeeze-and-excitation gate). */
static gboolean
layout_free (const CnnfiltShape *s)
{
  return s->c == 1 || (s->h == 1 && s->w == 1);
}

/* Channels-last between ops that support it: a node writes NHWC when it
 * is not an output, can write it (or is elementwise and all its inputs
 * are NHWC, or stored alike in both layouts), and every reader reads NHWC
 * (or is elementwise and NHWC itself). Start from every node that could,
 * drop the ones that break a rule until none does. Graph inputs,
 * constants and outputs stay NCHW: an elementwise op may still run
 * channels-last on a constant such as ConvNeXt's layer scale (c×1×1),
 * which is stored the same either way. */
static void
plan_layouts (CnnfiltGraph *self)
{
  guint n = self->nodes->len;
  g_autofree guint *support = g_new0 (guint, n);
  g_autofree gboolean *nhwc = g_new0 (gboolean, n);
  for (guint i = 0; i < n; i++)
    {
      Node *node = self->nodes->pdata[i];
      node->layout = CNNFILT_LAYOUT_NCHW;
      if (!self->fuse || node->exec == NULL || node->skipped)
        continue;
      CnnfiltShape in_shapes[MAX (node->n_run_inputs, 1)];
      for (guint j = 0; j < node->n_run_inputs; j++)
        in_shapes[j] = ((Node *) self->nodes->pdata[node->run_inputs[j]])->shape;
      support[i] = cnnfilt_op_get_layout_support (node->exec, in_shapes, node->n_run_inputs);
      nhwc[i] = !node->is_output &&
                (support[i] & (CNNFILT_LAYOUT_SUPPORT_OUTPUT | CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE));
    }
  gboolean changed = TRUE;
  while (changed)
    {
      changed = FALSE;
      for (guint i = 0; i < n; i++)
        {
          Node *node = self->nodes->pdata[i];
          if (!nhwc[i])
            continue;
          gboolean ok = TRUE;
          if (!(support[i] & CNNFILT_LAYOUT_SUPPORT_OUTPUT))
            for (guint j = 0; j < node->n_run_inputs && ok; j++)
              {
                guint input = node->run_inputs[j];
                ok = nhwc[input] || layout_free (&((Node *) self->nodes->pdata[input])->shape);
              }
          for (guint r = i + 1; r < n && ok; r++)
            {
              Node *reader = self->nodes->pdata[r];
              if (reader->exec == NULL || reader->skipped)
                continue;
              for (guint j = 0; j < reader->n_run_inputs && ok; j++)
                if (reader->run_inputs[j] == i)
                  ok = (support[r] & CNNFILT_LAYOUT_SUPPORT_INPUT) ||
                       ((support[r] & CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE) && nhwc[r]);
            }
          if (!ok)
            nhwc[i] = FALSE, changed = TRUE;
        }
    }
  for (guint i = 0; i < n; i++)
    if (nhwc[i])
      ((Node *) self->nodes->pdata[i])->layout = CNNFILT_LAYOUT_NHWC;
}

/* Takes a free slot for a node's output. Slots only grow, so a prepared
 * graph reaches its peak memory once and keeps it. */
static CnnfiltTensor *
take_slot (CnnfiltGraph *self, GPtrArray *free_slots, const CnnfiltShape *shape,
           GError **error)
{
  /* The smallest free slot that is big enough, else the largest, to grow. */
  gsize need = cnnfilt_shape_get_size (shape);
  gint fit = -1, largest = -1;
  for (guint i = 0; i < free_slots->len; i++)
    {
      gsize have = cnnfilt_tensor_get_capacity (free_slots->pdata[i]);
      if (have >= need && (fit < 0 || have < cnnfilt_tensor_get_capacity (free_slots->pdata[fit])))
        fit = i;
      if (largest < 0 || have > cnnfilt_tensor_get_capacity (free_slots->pdata[largest]))
        largest = i;
    }
  gint best = fit >= 0 ? fit : largest;
  CnnfiltTensor *slot;
  if (best >= 0)
    slot = g_ptr_array_steal_index_fast (free_slots, best);
  else
    {
      slot = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
      g_ptr_array_add (self->slots, slot);
    }
  if (!cnnfilt_tensor_set_shape (slot, shape, error))
    return NULL;
  _cnnfilt_tensor_advise_huge_pages (slot);
  return slot;
}

/* Whether @node, the @i-th, can take over the buffer of its input 0: its
 * op keeps values (a reshape, a dropout), it is the buffer's last reader,
 * neither is a graph output or a graph input, and both hold NCHW values
 * (or the same shape in the same layout). */
static gboolean
can_alias (CnnfiltGraph *graph, Node *node, guint i)
{
  if (!CNNFILT_OP_GET_CLASS (node->exec)->keeps_values || node->n_run_inputs == 0 ||
      node->is_output)
    return FALSE;
  Node *source = graph->nodes->pdata[node->run_inputs[0]];
  return source->exec != NULL && !source->skipped && !source->is_output &&
         source->last_use == i && source->layout == node->layout &&
         (node->layout == CNNFILT_LAYOUT_NCHW || cnnfilt_shape_equal (&source->shape, &node->shape));
}

/* Buffers: outputs get tensors of their own, handed to callers; other
 * nodes share slots, each returned when its last reader has run; a node
 * that only reshapes its input's values takes that buffer over
 * (can_alias). */
static gboolean
plan_buffers (CnnfiltGraph *graph, GError **error)
{
  g_ptr_array_set_size (graph->results, 0);
  g_autoptr (GPtrArray) free_slots = g_ptr_array_new ();
  for (guint i = 0; i < graph->slots->len; i++)
    g_ptr_array_add (free_slots, graph->slots->pdata[i]);
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      Node *node = graph->nodes->pdata[i];
      if (node->exec == NULL || node->skipped)
        continue;
      if (node->is_output)
        {
          node->tensor = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
          if (!cnnfilt_tensor_set_shape (node->tensor, &node->shape, error))
            {
              g_object_unref (node->tensor);
              return FALSE;
            }
          /* results keeps the reference; node->tensor borrows it */
          g_ptr_array_add (graph->results, node->tensor);
        }
      else if (can_alias (graph, node, i))
        {
          Node *source = graph->nodes->pdata[node->run_inputs[0]];
          node->tensor = source->tensor;
          node->aliased = TRUE;
          source->last_use = G_MAXUINT; /* the buffer is released after this node's readers */
        }
      else if ((node->tensor = take_slot (graph, free_slots, &node->shape, error)) == NULL)
        return FALSE;
      for (guint j = 0; j < node->n_run_inputs; j++)
        {
          Node *source = graph->nodes->pdata[node->run_inputs[j]];
          if (source->exec != NULL && !source->is_output && source->last_use == i)
            {
              source->last_use = G_MAXUINT; /* release once, even if read twice */
              g_ptr_array_add (free_slots, source->tensor);
            }
        }
    }
  return TRUE;
}

/**
 * cnnfilt_graph_prepare:
 * @graph: a graph
 * @inputs: (array length=n_inputs): the shape of each input
 * @n_inputs: the number of inputs
 * @error: return location for a #GError
 *
 * Infers every node's output shape and allocates the buffers. Errors name
 * the node and the shapes that do not fit. cnnfilt_graph_run() calls this
 * itself when the input shapes change.
 *
 * Returns: %TRUE if the graph can run on inputs of these shapes
 */
gboolean
cnnfilt_graph_prepare (CnnfiltGraph *graph, const CnnfiltShape *inputs, guint n_inputs,
                       GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  _cnnfilt_graph_invalidate (graph);
  _cnnfilt_graph_ensure_default_output (graph);
  if (graph->outputs->len == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT, "the graph is empty");
      return FALSE;
    }
  if (n_inputs != graph->inputs->len)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "the graph takes %u input%s, %u given", graph->inputs->len,
                   graph->inputs->len == 1 ? "" : "s", n_inputs);
      return FALSE;
    }
  reset_plan (graph, inputs);
  if (!infer_shapes (graph, error))
    return FALSE;
  plan_fusion (graph);
  /* OpenCL kernels take NCHW: channels-last is the CPU kernels' choice */
  if (graph->device == NULL || cnnfilt_device_get_kind (graph->device) == CNNFILT_DEVICE_KIND_CPU)
    {
      /* ops make their kernels as they answer (oneDNN's), and those are
       * sized for the OpenMP threads they see: the ones the runs will have */
      CnnfiltRunContext ctx;
      _cnnfilt_device_init_context (graph->device, &ctx);
      gint saved = omp_get_max_threads ();
      omp_set_num_threads ((gint) ctx.n_threads);
      plan_layouts (graph);
      omp_set_num_threads (saved);
    }
  else
    for (guint i = 0; i < graph->nodes->len; i++)
      ((Node *) graph->nodes->pdata[i])->layout = CNNFILT_LAYOUT_NCHW;
  if (!plan_buffers (graph, error))
    return FALSE;
  graph->prepared = g_memdup2 (inputs, sizeof (CnnfiltShape) * MAX (n_inputs, 1));
  graph->traced = FALSE;
  graph->warm = FALSE;
  /* Each buffer fits the machine's memory; all of them must too, or the
   * first run would be killed touching pages it was promised. */
  gsize needed = cnnfilt_graph_get_buffer_size (graph);
  if (needed > _cnnfilt_physical_memory ())
    {
      _cnnfilt_graph_invalidate (graph);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "the graph's buffers need %" G_GSIZE_FORMAT " MiB for these inputs, more than "
                   "this machine's %" G_GSIZE_FORMAT " MiB of memory", needed >> 20,
                   _cnnfilt_physical_memory () >> 20);
      return FALSE;
    }
  return TRUE;
}

/**
 * cnnfilt_graph_get_output_shape:
 * @graph: a prepared graph
 * @index: output index
 * @shape: (out caller-allocates): the output's shape
 *
 * Returns: %TRUE if the graph is prepared and has that output
 */
gboolean
cnnfilt_graph_get_output_shape (CnnfiltGraph *graph, guint index, CnnfiltShape *shape)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  if (graph->prepared == NULL || index >= graph->outputs->len)
    return FALSE;
  *shape = ((Node *) graph->nodes->pdata[g_array_index (graph->outputs, guint, index)])->shape;
  return TRUE;
}

/**
 * cnnfilt_graph_get_buffer_size:
 * @graph: a prepared graph
 *
 * The memory the prepared graph holds for its tensors: the shared
 * intermediate buffers plus the outputs. Buffers are reserved by
 * cnnfilt_graph_prepare() but only touched by cnnfilt_graph_run(), so a
 * caller can check this before running.
 *
 * Returns: bytes, or 0 if the graph is not prepared
 */
gsize
cnnfilt_graph_get_buffer_size (CnnfiltGraph *graph)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), 0);
  if (graph->prepared == NULL)
    return 0;
  gsize values = 0;
  for (guint i = 0; i < graph->slots->len; i++)
    values += cnnfilt_tensor_get_capacity (graph->slots->pdata[i]);
  for (guint i = 0; i < graph->results->len; i++)
    values += cnnfilt_tensor_get_capacity (graph->results->pdata[i]);
  return values * sizeof (gfloat);
}
