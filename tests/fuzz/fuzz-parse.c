/* fuzz-parse.c: libFuzzer target for the pipeline parser
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Any text must give a graph or a GError, never a crash, a leak or a
 * read past the end. Graphs that parse are also run on a small image, so
 * that property values the parser accepts are exercised by the ops.
 */
#include <cnnfilt.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static CnnfiltTensor *input;
  if (input == NULL)
    {
      cnnfilt_init (NULL);
      input = cnnfilt_tensor_new (1, 3, 9, 7, NULL);
      for (guint i = 0; i < 3 * 9 * 7; i++)
        cnnfilt_tensor_get_data (input, NULL)[i] = (i % 17) / 16.0f;
    }
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string (text, &error);
  if (graph == NULL)
    {
      g_assert (error != NULL && error->domain == CNNFILT_ERROR);
      return 0;
    }
  g_clear_error (&error);
  /* A resize may legitimately ask for gigabytes; that is not what is
   * fuzzed here. Shape errors are: prepare must fail cleanly. */
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (input, &shape);
  if (!cnnfilt_graph_prepare (graph, &shape, 1, &error))
    {
      g_assert (error != NULL && error->domain == CNNFILT_ERROR);
      return 0;
    }
  if (cnnfilt_graph_get_buffer_size (graph) > (8u << 20))
    return 0;
  g_autoptr (CnnfiltTensor) output = cnnfilt_graph_process (graph, input, &error);
  g_assert ((output == NULL) == (error != NULL));
  return 0;
}
