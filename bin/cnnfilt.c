/* cnnfilt.c: the command-line front end; dispatches to one file per subcommand
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-cli.h"

#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const gchar *name;
  int (*main) (int argc, char **argv);
  const gchar *summary;
} Command;

static const Command commands[] = {
  { "run", command_run, "run a pipeline over image files and folders" },
  { "edges", command_edges, "batch edge detection: grey, Sobel magnitude, 8-bit PNG" },
  { "ops", command_ops, "list the operators" },
  { "inspect", command_inspect, "show an operator's properties, types, ranges and defaults" },
  { "devices", command_devices, "list the devices ops can run on" },
  { "model", command_model, "model info MODEL.onnx: a model's layers, parameters and FLOPs" },
  { "classify", command_classify, "classify images with an ONNX model: top-k classes" },
  { "features", command_features, "a layer's activation maps, or a conv layer's filters, as one picture" },
  { "embed", command_embed, "embed images with an ONNX model into an index for search" },
  { "search", command_search, "the indexed images most similar to photos or indexed paths" },
  { "dedup", command_dedup, "groups of near-duplicate images in an index" },
  { "index", command_index, "index info FILE.db: what an embedding index holds" },
};

/* Appends @text as a JSON string: quotes, backslashes and control
 * characters escaped. File names and labels are bytes, not always UTF-8;
 * each byte that is not part of a valid UTF-8 sequence is written as
 * \udcXX, the lone surrogate Python's "surrogateescape" gives it, so that
 * JSON stays valid and os.fsencode() in Python turns the string back into
 * the same bytes. */
void
cli_json_string (GString *out, const gchar *text)
{
  const gchar *c = text ? text : "", *end = c + strlen (c);
  g_string_append_c (out, '"');
  while (c < end)
    {
      const gchar *valid;
      g_utf8_validate (c, end - c, &valid);
      for (; c < valid; c++)
        {
          if (*c == '"' || *c == '\\')
            g_string_append_printf (out, "\\%c", *c);
          else if ((guchar) *c < 0x20)
            g_string_append_printf (out, "\\u%04x", (guchar) *c);
          else
            g_string_append_c (out, *c);
        }
      if (c < end)
        g_string_append_printf (out, "\\udc%02x", (guchar) *c++);
    }
  g_string_append_c (out, '"');
}

void
cli_error (const gchar *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree gchar *text = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "cnnfilt: %s\n", text);
}

gboolean
cli_parse (GOptionContext *context, int *argc, char ***argv, const gchar *command)
{
  g_autoptr (GError) error = NULL;
  if (g_option_context_parse (context, argc, argv, &error))
    {
      /* GLib stops at "--" but leaves it among the arguments: drop it, so
       * that `cnnfilt edges -o out -- -rf.png` reads a file named -rf.png. */
      for (int i = 1; i < *argc; i++)
        if (g_str_equal ((*argv)[i], "--"))
          {
            memmove (*argv + i, *argv + i + 1, (gsize) (*argc - i) * sizeof (char *));
            (*argc)--;
            break;
          }
      return TRUE;
    }
  cli_error ("%s: %s (see 'cnnfilt %s --help')", command, error->message, command);
  return FALSE;
}

/* The command @name is a typo of, or NULL. */
static const gchar *
closest_command (const gchar *name)
{
  const gchar *names[G_N_ELEMENTS (commands) + 1];
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    names[i] = commands[i].name;
  names[G_N_ELEMENTS (commands)] = NULL;
  return cnnfilt_closest_name (name, names);
}

static gboolean log_quiet;
static CliInfoFunc log_info;
static gpointer log_info_data;

void
cli_log_set_info_func (CliInfoFunc func, gpointer data)
{
  log_info = func;
  log_info_data = data;
}

/* Every log message of the program and its libraries passes here: the
 * library's info messages (libvips' warnings about a file) go to the
 * --verbose handler when there is one, warnings obey --quiet. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const gchar *domain = NULL, *message = NULL;
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
    else if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  if ((level & G_LOG_LEVEL_INFO) && log_info != NULL && g_strcmp0 (domain, "Cnnfilt") == 0)
    {
      log_info (message, log_info_data);
      return G_LOG_WRITER_HANDLED;
    }
  if (log_quiet && (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE)) && !(level & G_LOG_FLAG_FATAL))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, data);
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: cnnfilt COMMAND [OPTION…]\n\n"
                "Image filters and CNN feature extraction over folders of images.\n\n"
                "Commands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nExamples:\n"
                "  cnnfilt edges -o edges/ photos/\n"
                "  cnnfilt run 'grayscale ! gaussian-blur sigma=2 ! laplacian ! abs ! normalize' -o out/ photos/\n"
                "  cnnfilt inspect sobel\n"
                "  cnnfilt model info resnet18.onnx\n\n"
                "'cnnfilt COMMAND --help' shows a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* Image-sized buffers come and go once per file. Served by mmap, each
   * would fault its pages in afresh every time (a tenth of a batch's time);
   * from the heap they are reused. */
  mallopt (M_MMAP_THRESHOLD, 256 << 20);
  mallopt (M_TRIM_THRESHOLD, 512 << 20);
  g_log_set_writer_func (log_writer, NULL, NULL);
  if (argc < 2)
    {
      usage (stderr);
      return EXIT_USAGE;
    }
  const gchar *name = argv[1];
  if (g_str_equal (name, "--help") || g_str_equal (name, "-h") || g_str_equal (name, "help"))
    {
      usage (stdout);
      return EXIT_OK;
    }
  if (g_str_equal (name, "--version"))
    {
      printf ("cnnfilt %s\n", CNNFILT_VERSION);
      return EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (name, commands[i].name))
      {
        /* --quiet holds back the library's warnings too (a broken plugin
         * on the search path), which come before the options are parsed */
        for (int a = 2; a < argc && !g_str_equal (argv[a], "--"); a++)
          if (g_str_equal (argv[a], "-q") || g_str_equal (argv[a], "--quiet"))
            log_quiet = TRUE;
        cnnfilt_init (NULL);
        return commands[i].main (argc - 1, argv + 1);
      }
  cnnfilt_init (NULL);
  const gchar *typo_of = closest_command (name);
  if (cnnfilt_registry_lookup (name) != G_TYPE_INVALID)
    cli_error ("unknown command '%s': %s is an op; run it with 'cnnfilt run %s -o OUTDIR INPUT…'",
               name, name, name);
  else if (typo_of != NULL)
    cli_error ("unknown command '%s' (did you mean '%s'? see 'cnnfilt --help')", name, typo_of);
  else
    cli_error ("unknown command '%s' (see 'cnnfilt --help')", name);
  return EXIT_USAGE;
}
