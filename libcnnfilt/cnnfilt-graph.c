/* cnnfilt-graph.c: DAGs of ops, built and run
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Preparing, the plan a run follows, is in cnnfilt-graph-plan.c.
 */
#include "cnnfilt-graph-private.h"
#include "cnnfilt-device-private.h"
#include "cnnfilt-error.h"
#include "cnnfilt-tensor-private.h"

#include <string.h>

/**
 * CnnfiltGraph:
 *
 * A directed acyclic graph of ops. Every node has a name and produces one
 * tensor known by that name; a node's inputs are graph inputs or earlier
 * nodes, so nodes are kept in an order in which they can run. Any node can
 * be an output, which is how a model is cut at a layer.
 *
 * cnnfilt_graph_prepare() infers every shape for given input shapes and
 * plans buffers: an intermediate tensor's buffer is handed to a later node
 * once its last reader has run, so a chain of any length needs two buffers.
 * cnnfilt_graph_run() prepares again only when the input shapes change, so
 * a batch of same-sized images runs without allocating.
 */

G_DEFINE_TYPE (CnnfiltGraph, cnnfilt_graph, G_TYPE_OBJECT)

enum { PROP_0, PROP_FUSE, PROP_TRACE };

static void
node_free (gpointer data)
{
  Node *node = data;
  g_free (node->name);
  g_clear_object (&node->op);
  g_clear_object (&node->constant);
  g_clear_object (&node->exec);
  g_free (node->inputs);
  g_free (node->run_inputs);
  g_free (node);
}

static gint
by_busy (gconstpointer a, gconstpointer b)
{
  gint64 x = (*(Node **) a)->busy_us, y = (*(Node **) b)->busy_us;
  return x < y ? 1 : x > y ? -1 : 0;
}

/* With CNNFILT_PROFILE set, a table of where the time went, on stderr: the
 * time per run of each node over the runs after the first since each
 * prepare, whose time (making kernels, packing weights) is given apart;
 * with no such runs, the first runs'. */
static void
print_profile (CnnfiltGraph *self)
{
  g_autoptr (GPtrArray) nodes = g_ptr_array_new ();
  gint64 total = 0, first = 0;
  guint runs = 0;
  for (guint i = 0; i < self->nodes->len; i++)
    {
      Node *node = self->nodes->pdata[i];
      runs = MAX (runs, node->runs);
      first += node->first_us;
    }
  for (guint i = 0; i < self->nodes->len; i++)
    {
      Node *node = self->nodes->pdata[i];
      if (runs == 0 && node->first_us > 0)
        {
          /* only first runs: those are the table */
          node->busy_us = node->first_us;
          node->runs = 1;
        }
      if (node->runs > 0)
        {
          g_ptr_array_add (nodes, node);
          total += node->busy_us;
        }
    }
  if (nodes->len == 0)
    return;
  g_ptr_array_sort (nodes, by_busy);
  if (runs > 0)
    g_printerr ("cnnfilt profile: %.3f ms per run over %u runs (the first run after each "
                "prepare, which makes the kernels and packs the weights, left out: %.3f ms)\n",
                total / 1e3 / runs, runs, first / 1e3);
  else
    g_printerr ("cnnfilt profile: %.3f ms in the first run, which makes the kernels and packs "
                "the weights (no later runs)\n", total / 1e3);
  for (guint i = 0; i < nodes->len; i++)
    {
      Node *node = nodes->pdata[i];
      g_autofree gchar *shape = cnnfilt_shape_to_string (&node->shape);
      g_printerr ("%9.3f ms %5.1f%%  %-24s %-16s %s\n", node->busy_us / 1e3 / node->runs,
                  100.0 * node->busy_us / MAX (total, 1), node->name,
                  cnnfilt_op_get_name (node->exec), shape);
    }
}

static void
cnnfilt_graph_finalize (GObject *object)
{
  CnnfiltGraph *self = CNNFILT_GRAPH (object);
  if (self->profile)
    print_profile (self);
  g_ptr_array_unref (self->nodes);
  g_hash_table_unref (self->by_name);
  g_array_unref (self->inputs);
  g_array_unref (self->outputs);
  g_ptr_array_unref (self->slots);
  g_ptr_array_unref (self->results);
  g_free (self->prepared);
  g_clear_object (&self->device);
  G_OBJECT_CLASS (cnnfilt_graph_parent_class)->finalize (object);
}

static void
cnnfilt_graph_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  CnnfiltGraph *self = CNNFILT_GRAPH (object);
  switch (id)
    {
    case PROP_FUSE:
      self->fuse = g_value_get_boolean (value);
      g_clear_pointer (&self->prepared, g_free);
      break;
    case PROP_TRACE:
      self->trace = g_value_get_boolean (value);
      self->traced = FALSE;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
cnnfilt_graph_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  CnnfiltGraph *self = CNNFILT_GRAPH (object);
  switch (id)
    {
    case PROP_FUSE:
      g_value_set_boolean (value, self->fuse);
      break;
    case PROP_TRACE:
      g_value_set_boolean (value, self->trace);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
cnnfilt_graph_class_init (CnnfiltGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = cnnfilt_graph_finalize;
  object_class->set_property = cnnfilt_graph_set_property;
  object_class->get_property = cnnfilt_graph_get_property;

  /**
   * CnnfiltGraph:fuse:
   *
   * Whether cnnfilt_graph_prepare() fuses a node with the single node that
   * reads it where the ops allow (cnnfilt_op_fuse()): batch normalization
   * folded into the convolution before it, an activation applied by the
   * convolution as it writes; and tensors are kept channels-last (NHWC)
   * between ops that support it, so convolutions need not reorder them.
   * The results are the same up to rounding; turn it off to compare.
   */
  g_object_class_install_property (object_class, PROP_FUSE,
    g_param_spec_boolean ("fuse", "Fuse", "Fuse ops with the op that reads them when preparing",
                          TRUE, G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));

  /**
   * CnnfiltGraph:trace:
   *
   * Whether the graph says on stderr, at its first run after each prepare,
   * where each node runs and why: on the graph's device, or on the CPU
   * where the op has no implementation for that device. Set from
   * `CNNFILT_TRACE=1` when the graph is made.
   */
  g_object_class_install_property (object_class, PROP_TRACE,
    g_param_spec_boolean ("trace", "Trace", "Say where each node runs, once per prepare",
                          FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
cnnfilt_graph_init (CnnfiltGraph *self)
{
  self->nodes = g_ptr_array_new_with_free_func (node_free);
  self->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->inputs = g_array_new (FALSE, FALSE, sizeof (guint));
  self->outputs = g_array_new (FALSE, FALSE, sizeof (guint));
  self->slots = g_ptr_array_new_with_free_func (g_object_unref);
  self->results = g_ptr_array_new_with_free_func (g_object_unref);
  self->profile = g_getenv ("CNNFILT_PROFILE") != NULL;
  self->trace = g_strcmp0 (g_getenv ("CNNFILT_TRACE"), "1") == 0;
}

/**
 * cnnfilt_graph_new:
 *
 * Returns: (transfer full): an empty graph
 */
CnnfiltGraph *
cnnfilt_graph_new (void)
{
  return g_object_new (CNNFILT_TYPE_GRAPH, NULL);
}

void
_cnnfilt_graph_invalidate (CnnfiltGraph *self)
{
  g_clear_pointer (&self->prepared, g_free);
}

static gint
find_node (CnnfiltGraph *self, const gchar *name)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (self->by_name, name)) - 1;
}

static gboolean
add_node (CnnfiltGraph *self, const gchar *name, CnnfiltOp *op, const gchar * const *inputs,
          GError **error)
{
  if (name == NULL || *name == '\0')
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT, "a node needs a name");
      return FALSE;
    }
  if (find_node (self, name) >= 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s: a node of that name is already in the graph", name);
      return FALSE;
    }
  guint n_inputs = inputs ? g_strv_length ((gchar **) inputs) : 0;
  if (op != NULL && cnnfilt_op_get_n_inputs (op) == 0 && n_inputs == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s: %s takes at least one input", name, cnnfilt_op_get_name (op));
      return FALSE;
    }
  if (op != NULL && cnnfilt_op_get_n_inputs (op) != 0 && n_inputs != cnnfilt_op_get_n_inputs (op))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s: %s takes %u input%s, %u given", name, cnnfilt_op_get_name (op),
                   cnnfilt_op_get_n_inputs (op), cnnfilt_op_get_n_inputs (op) == 1 ? "" : "s",
                   n_inputs);
      return FALSE;
    }
  Node *node = g_new0 (Node, 1);
  node->inputs = g_new0 (guint, MAX (n_inputs, 1));
  node->n_inputs = n_inputs;
  for (guint i = 0; i < n_inputs; i++)
    {
      gint index = find_node (self, inputs[i]);
      if (index < 0)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "%s: input '%s' is neither a graph input nor an earlier node",
                       name, inputs[i]);
          g_free (node->inputs);
          g_free (node);
          return FALSE;
        }
      node->inputs[i] = index;
    }
  node->name = g_strdup (name);
  node->op = op ? g_object_ref (op) : NULL;
  g_ptr_array_add (self->nodes, node);
  g_hash_table_insert (self->by_name, g_strdup (name), GUINT_TO_POINTER (self->nodes->len));
  if (self->default_output)
    {
      /* the implicit output follows the last node */
      g_array_set_size (self->outputs, 0);
      self->default_output = FALSE;
    }
  _cnnfilt_graph_invalidate (self);
  return TRUE;
}

/**
 * cnnfilt_graph_add_input:
 * @graph: a graph
 * @name: the name nodes use to read the input
 * @error: return location for a #GError
 *
 * Declares an input tensor. Inputs are given to cnnfilt_graph_run() in the
 * order they were added.
 *
 * Returns: %TRUE, or %FALSE if the name is taken
 */
gboolean
cnnfilt_graph_add_input (CnnfiltGraph *graph, const gchar *name, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  if (!add_node (graph, name, NULL, NULL, error))
    return FALSE;
  guint index = graph->nodes->len - 1;
  g_array_append_val (graph->inputs, index);
  return TRUE;
}

/**
 * cnnfilt_graph_add_constant:
 * @graph: a graph
 * @name: the name nodes use to read the constant
 * @value: the tensor; the graph keeps a reference and never modifies it
 * @error: return location for a #GError
 *
 * Adds a tensor that nodes read like an input but that does not change
 * from run to run, such as an ONNX initializer.
 *
 * Returns: %TRUE, or %FALSE if the name is taken
 */
gboolean
cnnfilt_graph_add_constant (CnnfiltGraph *graph, const gchar *name, CnnfiltTensor *value,
                            GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (value), FALSE);
  if (!add_node (graph, name, NULL, NULL, error))
    return FALSE;
  ((Node *) graph->nodes->pdata[graph->nodes->len - 1])->constant = g_object_ref (value);
  return TRUE;
}

/**
 * cnnfilt_graph_add_node:
 * @graph: a graph
 * @name: the node's name, also the name of the tensor it produces
 * @op: the op it runs
 * @inputs: (array zero-terminated=1): names of graph inputs or earlier nodes,
 *   as many as @op takes
 * @error: return location for a #GError
 *
 * Appends a node. A tensor can feed any number of nodes.
 *
 * Returns: %TRUE, or %FALSE if the name is taken or an input is unknown
 */
gboolean
cnnfilt_graph_add_node (CnnfiltGraph *graph, const gchar *name, CnnfiltOp *op,
                        const gchar * const *inputs, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  g_return_val_if_fail (CNNFILT_IS_OP (op), FALSE);
  return add_node (graph, name, op, inputs, error);
}

/**
 * cnnfilt_graph_add_output:
 * @graph: a graph
 * @name: a node or input whose tensor is an output
 * @error: return location for a #GError
 *
 * Marks a tensor as an output. A graph without declared outputs outputs its
 * last node.
 *
 * Returns: %TRUE, or %FALSE if there is no such node
 */
gboolean
cnnfilt_graph_add_output (CnnfiltGraph *graph, const gchar *name, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  gint index = find_node (graph, name);
  if (index < 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "output '%s': no node of that name", name);
      return FALSE;
    }
  guint uindex = index;
  if (graph->default_output)
    g_array_set_size (graph->outputs, 0);
  graph->default_output = FALSE;
  g_array_append_val (graph->outputs, uindex);
  _cnnfilt_graph_invalidate (graph);
  return TRUE;
}

/**
 * cnnfilt_graph_get_n_inputs:
 * @graph: a graph
 *
 * Returns: the number of declared inputs
 */
guint
cnnfilt_graph_get_n_inputs (CnnfiltGraph *graph)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), 0);
  return graph->inputs->len;
}

/**
 * cnnfilt_graph_set_input_shape:
 * @graph: a graph
 * @index: an input's index, in the order they were added
 * @shape: the shape the input expects; 0 leaves a dimension free
 *
 * Records the shape an input is meant to have, such as the 1×3×224×224 with
 * a free batch size that an ONNX model declares. Tools read it to size what
 * they feed the graph; cnnfilt_graph_prepare() does not enforce it, so that
 * convolutional models can still run at other sizes.
 *
 * Returns: %TRUE, or %FALSE if there is no such input
 */
gboolean
cnnfilt_graph_set_input_shape (CnnfiltGraph *graph, guint index, const CnnfiltShape *shape)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  g_return_val_if_fail (shape != NULL, FALSE);
  if (index >= graph->inputs->len)
    return FALSE;
  Node *node = graph->nodes->pdata[g_array_index (graph->inputs, guint, index)];
  node->declared = *shape;
  return TRUE;
}

/**
 * cnnfilt_graph_get_input_shape:
 * @graph: a graph
 * @index: an input's index, in the order they were added
 * @shape: (out caller-allocates): the shape the input expects; 0 for
 *   dimensions left free (all 0 when nothing was declared)
 *
 * Returns: %TRUE, or %FALSE if there is no such input
 */
gboolean
cnnfilt_graph_get_input_shape (CnnfiltGraph *graph, guint index, CnnfiltShape *shape)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  g_return_val_if_fail (shape != NULL, FALSE);
  if (index >= graph->inputs->len)
    return FALSE;
  *shape = ((Node *) graph->nodes->pdata[g_array_index (graph->inputs, guint, index)])->declared;
  return TRUE;
}

void
_cnnfilt_graph_ensure_default_output (CnnfiltGraph *self)
{
  if (self->outputs->len == 0 && self->nodes->len > 0)
    {
      guint last = self->nodes->len - 1;
      g_array_append_val (self->outputs, last);
      self->default_output = TRUE;
    }
}

/**
 * cnnfilt_graph_get_n_outputs:
 * @graph: a graph
 *
 * Returns: the number of outputs
 */
guint
cnnfilt_graph_get_n_outputs (CnnfiltGraph *graph)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), 0);
  _cnnfilt_graph_ensure_default_output (graph);
  return graph->outputs->len;
}

/**
 * cnnfilt_graph_get_node_names:
 * @graph: a graph
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of the
 *   inputs and nodes, in running order
 */
gchar **
cnnfilt_graph_get_node_names (CnnfiltGraph *graph)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), NULL);
  GStrv names = g_new0 (gchar *, graph->nodes->len + 1);
  for (guint i = 0; i < graph->nodes->len; i++)
    names[i] = g_strdup (((Node *) graph->nodes->pdata[i])->name);
  return names;
}

/**
 * cnnfilt_graph_get_node_inputs:
 * @graph: a graph
 * @name: a node name
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): the names
 *   of the node's inputs, in order (empty for graph inputs and constants),
 *   or %NULL if there is no such node
 */
gchar **
cnnfilt_graph_get_node_inputs (CnnfiltGraph *graph, const gchar *name)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), NULL);
  gint index = find_node (graph, name);
  if (index < 0)
    return NULL;
  Node *node = graph->nodes->pdata[index];
  GStrv names = g_new0 (gchar *, node->n_inputs + 1);
  for (guint i = 0; i < node->n_inputs; i++)
    names[i] = g_strdup (((Node *) graph->nodes->pdata[node->inputs[i]])->name);
  return names;
}

/**
 * cnnfilt_graph_get_node_shape:
 * @graph: a prepared graph
 * @name: a node name
 * @shape: (out caller-allocates): the shape of the tensor the node makes
 *
 * The shapes are those of the last cnnfilt_graph_prepare() (or run); a
 * node fused into another keeps the shape it would have had.
 *
 * Returns: %TRUE if the graph is prepared and has that node
 */
gboolean
cnnfilt_graph_get_node_shape (CnnfiltGraph *graph, const gchar *name, CnnfiltShape *shape)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  g_return_val_if_fail (shape != NULL, FALSE);
  gint index = find_node (graph, name);
  if (graph->prepared == NULL || index < 0)
    return FALSE;
  *shape = ((Node *) graph->nodes->pdata[index])->shape;
  return TRUE;
}

/**
 * cnnfilt_graph_get_constant:
 * @graph: a graph
 * @name: a node name
 *
 * Returns: (transfer none) (nullable): the value of a constant node, or
 *   %NULL if @name is not a constant
 */
CnnfiltTensor *
cnnfilt_graph_get_constant (CnnfiltGraph *graph, const gchar *name)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), NULL);
  gint index = find_node (graph, name);
  return index < 0 ? NULL : ((Node *) graph->nodes->pdata[index])->constant;
}

/**
 * cnnfilt_graph_get_op:
 * @graph: a graph
 * @name: a node name
 *
 * Returns: (transfer none) (nullable): the node's op, or %NULL if there is
 *   no such node or it is an input
 */
CnnfiltOp *
cnnfilt_graph_get_op (CnnfiltGraph *graph, const gchar *name)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), NULL);
  gint index = find_node (graph, name);
  return index < 0 ? NULL : ((Node *) graph->nodes->pdata[index])->op;
}

/* An op with the properties that differ from their defaults, "sobel direction=x". */
static void
append_op_text (GString *text, CnnfiltOp *op)
{
  g_string_append (text, cnnfilt_op_get_name (op));
  guint n = 0;
  g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (op), &n);
  for (guint i = 0; i < n; i++)
    {
      if (!(specs[i]->flags & G_PARAM_READABLE))
        continue;
      g_auto (GValue) value = G_VALUE_INIT;
      g_value_init (&value, G_PARAM_SPEC_VALUE_TYPE (specs[i]));
      g_object_get_property (G_OBJECT (op), specs[i]->name, &value);
      if (g_param_value_defaults (specs[i], &value))
        continue;
      g_autofree gchar *v = cnnfilt_value_to_string (&value);
      gboolean quote = strpbrk (v, " \t!'\"=") != NULL || *v == '\0';
      g_string_append_printf (text, quote ? " %s=\"%s\"" : " %s=%s", specs[i]->name, v);
    }
}

/**
 * cnnfilt_graph_to_string:
 * @graph: a graph
 *
 * Describes the graph as pipeline text when it is a chain ("grayscale !
 * sobel direction=x"), and otherwise as one line per node, `name = op
 * properties (inputs)`. Only properties that differ from their defaults are
 * written.
 *
 * Returns: (transfer full): the text
 */
gchar *
cnnfilt_graph_to_string (CnnfiltGraph *graph)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), NULL);
  gboolean chain = graph->inputs->len <= 1;
  for (guint i = 1; i < graph->nodes->len && chain; i++)
    {
      Node *node = graph->nodes->pdata[i];
      chain = node->n_inputs == 1 && node->inputs[0] == i - 1;
    }
  GString *text = g_string_new (NULL);
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      Node *node = graph->nodes->pdata[i];
      if (node->op == NULL)
        continue;
      if (chain)
        {
          if (text->len > 0)
            g_string_append (text, " ! ");
          append_op_text (text, node->op);
          continue;
        }
      g_string_append_printf (text, "%s = ", node->name);
      append_op_text (text, node->op);
      g_string_append (text, " (");
      for (guint j = 0; j < node->n_inputs; j++)
        g_string_append_printf (text, "%s%s", j ? ", " : "",
                                ((Node *) graph->nodes->pdata[node->inputs[j]])->name);
      g_string_append (text, ")\n");
    }
  return g_string_free (text, FALSE);
}

/**
 * cnnfilt_graph_set_device:
 * @graph: a graph
 * @device: (nullable): the device to run on, or %NULL for the default
 */
void
cnnfilt_graph_set_device (CnnfiltGraph *graph, CnnfiltDevice *device)
{
  g_return_if_fail (CNNFILT_IS_GRAPH (graph));
  g_set_object (&graph->device, device);
}

/**
 * cnnfilt_graph_get_device:
 * @graph: a graph
 *
 * Returns: (transfer none) (nullable): the device set, or %NULL for the default
 */
CnnfiltDevice *
cnnfilt_graph_get_device (CnnfiltGraph *graph)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), NULL);
  return graph->device;
}

static gboolean
shapes_prepared (CnnfiltGraph *self, CnnfiltTensor **inputs, guint n_inputs)
{
  if (self->prepared == NULL)
    return FALSE;
  for (guint i = 0; i < n_inputs; i++)
    {
      CnnfiltShape shape;
      cnnfilt_tensor_get_shape (inputs[i], &shape);
      if (!cnnfilt_shape_equal (&shape, &self->prepared[i]))
        return FALSE;
    }
  return TRUE;
}

/* Copy on write: replaces the results a caller still holds. */
static gboolean
renew_held_results (CnnfiltGraph *graph, GError **error)
{
  for (guint i = 0, r = 0; i < graph->nodes->len; i++)
    {
      Node *node = graph->nodes->pdata[i];
      if (node->exec == NULL || node->skipped || !node->is_output)
        continue;
      CnnfiltTensor *result = graph->results->pdata[r];
      if (G_OBJECT (result)->ref_count > 1)
        {
          CnnfiltTensor *fresh = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
          if (!cnnfilt_tensor_set_shape (fresh, &node->shape, error))
            {
              g_object_unref (fresh);
              return FALSE;
            }
          g_ptr_array_index (graph->results, r) = fresh;
          g_object_unref (result);
          node->tensor = fresh;
        }
      r++;
    }
  return TRUE;
}

static gboolean run_nodes (CnnfiltGraph *graph, const CnnfiltRunContext *ctx, GError **error);

/**
 * cnnfilt_graph_run:
 * @graph: a graph
 * @inputs: (array length=n_inputs): one tensor per declared input
 * @n_inputs: the number of inputs
 * @error: return location for a #GError
 *
 * Runs every node; read the results with cnnfilt_graph_get_output(). An
 * output tensor still referenced by the caller from an earlier run is left
 * alone and a new one is made, so results never change under a caller.
 *
 * Returns: %TRUE on success; on failure the error names the node
 */
gboolean
cnnfilt_graph_run (CnnfiltGraph *graph, CnnfiltTensor **inputs, guint n_inputs, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), FALSE);
  if (n_inputs != graph->inputs->len)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "the graph takes %u input%s, %u given", graph->inputs->len,
                   graph->inputs->len == 1 ? "" : "s", n_inputs);
      return FALSE;
    }
  for (guint i = 0; i < n_inputs; i++)
    {
      g_return_val_if_fail (CNNFILT_IS_TENSOR (inputs[i]), FALSE);
      if (cnnfilt_tensor_get_layout (inputs[i]) != CNNFILT_LAYOUT_NCHW)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "input %u is channels-last; graphs take NCHW tensors", i + 1);
          return FALSE;
        }
    }

  if (!shapes_prepared (graph, inputs, n_inputs))
    {
      CnnfiltShape shapes[MAX (n_inputs, 1)];
      for (guint i = 0; i < n_inputs; i++)
        cnnfilt_tensor_get_shape (inputs[i], &shapes[i]);
      if (!cnnfilt_graph_prepare (graph, shapes, n_inputs, error))
        return FALSE;
    }

  for (guint i = 0; i < n_inputs; i++)
    ((Node *) graph->nodes->pdata[g_array_index (graph->inputs, guint, i)])->tensor = inputs[i];

  if (!renew_held_results (graph, error))
    return FALSE;

  CnnfiltRunContext ctx;
  _cnnfilt_device_init_context (graph->device, &ctx);
  gboolean began = _cnnfilt_device_begin_run (&ctx);
  gboolean ok = run_nodes (graph, &ctx, error);
  _cnnfilt_device_end_run (&ctx, began);
  return ok;
}

/* The nodes in order, in the floating-point mode of the run. */
static gboolean
run_nodes (CnnfiltGraph *graph, const CnnfiltRunContext *ctx, GError **error)
{
  gboolean trace = graph->trace && !graph->traced;
  graph->traced = TRUE;
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      Node *node = graph->nodes->pdata[i];
      if (node->exec == NULL || node->skipped)
        continue;
      const gchar *why;
      gboolean on_device;
      CnnfiltOpRunFunc run = _cnnfilt_device_pick_run (ctx->device, node->exec, &on_device, &why);
      if (trace && (on_device || cnnfilt_device_get_kind (ctx->device) == CNNFILT_DEVICE_KIND_CPU))
        g_printerr ("cnnfilt trace: %s (%s) on %s, %u thread%s: %s\n", node->name,
                    cnnfilt_op_get_name (node->exec), cnnfilt_device_get_name (ctx->device),
                    ctx->n_threads, ctx->n_threads == 1 ? "" : "s", why);
      else if (trace)
        g_printerr ("cnnfilt trace: %s (%s) on cpu instead of %s, %u thread%s: %s\n", node->name,
                    cnnfilt_op_get_name (node->exec), cnnfilt_device_get_name (ctx->device),
                    ctx->n_threads, ctx->n_threads == 1 ? "" : "s", why);
      CnnfiltTensor *in_tensors[MAX (node->n_run_inputs, 1)];
      for (guint j = 0; j < node->n_run_inputs; j++)
        in_tensors[j] = ((Node *) graph->nodes->pdata[node->run_inputs[j]])->tensor;
      /* Slots are shared, so each node sets its own shape; the capacity was
       * reserved by prepare and nothing is allocated here. */
      gint64 start = graph->profile ? g_get_monotonic_time () : 0;
      cnnfilt_tensor_set_layout (node->tensor, node->layout);
      if (node->aliased) /* its input's values, in its input's buffer */
        _cnnfilt_tensor_reshape_values (node->tensor, &node->shape);
      else if (!cnnfilt_tensor_set_shape (node->tensor, &node->shape, error) ||
          !_cnnfilt_device_check_fits (ctx->device, on_device, in_tensors, node->n_run_inputs,
                                       node->tensor, error) ||
          !run (node->exec, ctx, in_tensors, node->n_run_inputs, node->tensor, error))
        {
          g_prefix_error (error, "%s: ", node->name);
          return FALSE;
        }
      if (graph->profile && graph->warm)
        {
          node->busy_us += g_get_monotonic_time () - start;
          node->runs++;
        }
      else if (graph->profile)
        node->first_us += g_get_monotonic_time () - start;
    }
  graph->warm = TRUE;
  return TRUE;
}

/**
 * cnnfilt_graph_get_output:
 * @graph: a graph that has run
 * @index: output index
 *
 * Returns: (transfer full) (nullable): the output tensor of the last run, or
 *   %NULL if the graph has not run or has no such output
 */
CnnfiltTensor *
cnnfilt_graph_get_output (CnnfiltGraph *graph, guint index)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), NULL);
  if (graph->prepared == NULL || index >= graph->outputs->len)
    return NULL;
  Node *node = graph->nodes->pdata[g_array_index (graph->outputs, guint, index)];
  return node->tensor ? g_object_ref (node->tensor) : NULL;
}

/**
 * cnnfilt_graph_process:
 * @graph: a graph with one input
 * @input: the input tensor
 * @error: return location for a #GError
 *
 * Runs a one-input graph and returns its first output.
 *
 * Returns: (transfer full): the output, or %NULL on error
 */
CnnfiltTensor *
cnnfilt_graph_process (CnnfiltGraph *graph, CnnfiltTensor *input, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_GRAPH (graph), NULL);
  if (!cnnfilt_graph_run (graph, &input, 1, error))
    return NULL;
  return cnnfilt_graph_get_output (graph, 0);
}
