"""Prints the ```sh blocks of one README section as one bash script.

    readme_blocks.py README.md "Walk-through with curl" 127.0.0.1:PORT

The section runs from its `## ` heading to the next `## ` heading (its `###`
subsections included). `127.0.0.1:8080` becomes the given address. A
command whose trailing comment starts with an HTTP status (`# 204`,
`# 401 problem+json`) runs with EXPECT_STATUS set to that status, which the
walk-through's `curl` function checks (scripts/readme-walkthrough.sh).
"""
import re
import sys

EXPECTED = re.compile(r"\s#\s*([1-5]\d\d)\b[^'\"]*$")


def section(text, title):
    """The lines of the `## title` section."""
    lines = text.splitlines()
    start = lines.index(f"## {title}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start + 1:end]


def blocks(lines):
    """The ```sh blocks among `lines`, each a list of lines."""
    found, current = [], None
    for line in lines:
        if current is None and line.strip() == "```sh":
            current = []
        elif current is not None and line.strip() == "```":
            found.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return found


def commands(block):
    """The block's logical commands: lines joined where they end in `\\`."""
    command = []
    for line in block:
        command.append(line)
        if not line.endswith("\\"):
            yield command
            command = []
    if command:
        yield command


def script(text, title, address):
    out = []
    for block in blocks(section(text, title)):
        for command in commands(block):
            body = "\n".join(command).replace("127.0.0.1:8080", address)
            expected = EXPECTED.search(command[-1])
            if expected and not command[0].lstrip().startswith("#"):
                out += [f"EXPECT_STATUS={expected.group(1)}", body, "unset EXPECT_STATUS"]
            else:
                out.append(body)
    if not out:
        sys.exit(f"no ```sh block in section {title!r}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    readme, title, address = sys.argv[1:4]
    with open(readme, encoding="utf-8") as f:
        sys.stdout.write(script(f.read(), title, address))
