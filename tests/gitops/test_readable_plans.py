"""Plans a reviewer can read: prompt edits as line diffs, schemas by path, file sets grouped, one comment long."""
from __future__ import annotations

import json
from pathlib import Path

import openai

GITHUB_COMMENT_LIMIT = 65_536


def _stack(root: Path, prompt: str, files: int = 0, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "prompt.md").write_text(prompt)
    docs = ""
    if files:
        (root / "docs").mkdir(exist_ok=True)
        for i in range(files):
            (root / "docs" / f"doc-{i:04d}.md").write_text(f"document {i}\n")
        docs = "file_sets:\n  docs: {include: ['docs/*.md']}\nvector_stores:\n  kb: {file_sets: [docs]}\n"
    (root / "stack.yaml").write_text(
        "stack: review\n" + docs + extra
        + "assistants:\n  helper:\n    model: gpt-4o\n    instructions_file: prompt.md\n")
    return root


def test_a_one_line_edit_at_the_end_of_a_300_line_prompt_is_a_one_line_diff(cli, clean, workspace: Path):
    lines = [f"Rule {i}: answer politely and cite the policy document number {i}." for i in range(300)]
    stack = _stack(workspace / "review", "\n".join(lines) + "\n")
    assert cli("apply", str(stack), "--auto-approve").code == 0
    (stack / "prompt.md").write_text("\n".join(lines[:-1] + ["Rule 299: answer in French."]) + "\n")

    text = cli("plan", str(stack)).out
    assert "~ instructions:" in text
    removed = [line for line in text.splitlines() if line.lstrip().startswith("- ")]
    added = [line for line in text.splitlines() if line.lstrip().startswith("+ ")]
    assert removed == ["      -   Rule 299: answer politely and cite the policy document number 299."]
    assert added == ["      +   Rule 299: answer in French."]
    assert "Rule 297" in text and "Rule 200" not in text  # a little context, not the whole prompt
    assert "chars)" not in text  # nothing is cut

    markdown = cli("plan", str(stack), "--markdown").out
    assert "      -   Rule 299: answer politely and cite the policy document number 299.\n" in markdown
    assert "      +   Rule 299: answer in French.\n" in markdown
    assert "Rule 200" not in markdown


def test_a_changed_function_schema_shows_the_paths_that_changed(cli, clean, workspace: Path):
    schema = {"type": "object", "properties": {"city": {"type": "string", "description": "City"},
                                               "days": {"type": "integer"}}, "required": ["city"]}
    extra = "functions:\n  forecast:\n    parameters: " + json.dumps(schema) + "\n"
    stack = _stack(workspace / "review", "Be brief.\n", extra=extra)
    (stack / "stack.yaml").write_text((stack / "stack.yaml").read_text()
                                      + "    tools: [{type: function, function: forecast}]\n")
    assert cli("apply", str(stack), "--auto-approve").code == 0
    schema["properties"]["city"]["description"] = "City name, e.g. Paris"
    schema["properties"]["units"] = {"type": "string", "enum": ["metric", "imperial"]}
    (stack / "stack.yaml").write_text((stack / "stack.yaml").read_text().replace(
        json.dumps(schema["required"]) + "}", json.dumps(schema["required"]) + "}").replace(
        extra.split("parameters: ")[1].strip(), json.dumps(schema)))

    text = cli("plan", str(stack)).out
    base = "tools[0].function.parameters.properties"
    assert f'~ {base}.city.description: "City" -> "City name, e.g. Paris"' in text
    assert f'+ {base}.units.type = "string"' in text
    assert f'+ {base}.units.enum = ["metric", "imperial"]' in text
    assert "days" not in text  # unchanged parts of the schema stay out of the way


def test_a_2000_file_plan_is_grouped_and_its_markdown_fits_one_github_comment(cli, clean, workspace: Path):
    # a long prompt too, so the comment must also be cut (and say where the whole plan is)
    prompt = "\n".join(f"Line {i}: " + "x" * 80 for i in range(1000)) + "\n"
    stack = _stack(workspace / "review", prompt, files=2000)

    text = cli("plan", str(stack)).out
    assert "2000 files in file_sets.docs" in text and "(--verbose lists them)" in text
    assert "doc-0007.md" not in text
    assert len(text.splitlines()) < 1100
    verbose = cli("plan", str(stack), "--verbose").out
    assert '"docs/doc-0007.md" (11 bytes)' in verbose

    markdown = cli("plan", str(stack), "--markdown").out
    assert len(markdown) < GITHUB_COMMENT_LIMIT
    assert "| `file_sets.docs` (2000 files) | create | |" in markdown
    assert "<details><summary>2000 files in file_sets.docs" in markdown
    assert "more lines cut to fit one comment" in markdown
    assert "provisioner show plan.json" in markdown
    assert "| `assistants.helper` | create |" in markdown  # the summary table is kept whole


def test_a_small_file_set_is_listed_file_by_file(cli, clean, workspace: Path, api: openai.OpenAI):
    text = cli("plan", "stacks/support-bot").out
    assert 'file_sets.docs["docs/policies/returns.md"] will be created' in text


def test_replaced_files_of_a_file_set_show_their_old_objects_going_last_as_one_group(cli, clean, workspace: Path):
    stack = _stack(workspace / "review", "Be brief.\n", files=12)
    assert cli("apply", str(stack), "--auto-approve").code == 0
    for doc in (stack / "docs").iterdir():
        doc.write_text(doc.read_text() + "edited\n")
    text = cli("plan", str(stack)).out
    old_bytes = sum(len(f"document {i}\n") for i in range(12))
    # the old uploads go after the new ones and after the store moved to them, as apply runs it
    assert text.index("12 files in file_sets.docs") < text.index("vector_stores.kb will be updated") < text.index(
        f"  # 12 old files in file_sets.docs ({old_bytes} bytes) will be destroyed\n"
        "  # (replaced: the old object goes once the new one is in use)\n"
        "  # (after 12 files of file_sets.docs, vector_stores.kb)\n"
        "  - file_sets.docs: 12 files (--verbose lists them)\n")
    assert "| `file_sets.docs` (12 old files) | delete | |" in cli("plan", str(stack), "--markdown").out
