"""The labs cover the course notes: every item of sections 1.1 to 1.7 has a row in labs/README.md's coverage table,
and each row's heading is a heading of its lab."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

LABS = Path(__file__).parent.parent / "labs"
INDEX = LABS / "README.md"

# Every section, sub-point, execution step, invocation type, key feature, use-case and best practice of the course
# notes, in their order, as the coverage table names them.
COURSE_ITEMS = [
    "1.1 serverless compute service: code runs without provisioning or managing servers",
    "1.1 code runs in response to events: HTTP requests, file uploads, database updates",
    "1.1 pay only for compute time: number of requests and execution time",
    "1.1 servers fully managed: provisioning, scaling, security, isolation",
    "1.1 runtimes relay events, context and responses; AWS runtimes or custom runtimes",
    "1.1 microVMs created with Firecracker",
    "1.1 each request runs in its own isolated environment",
    "1.1 many copies on different servers: load and high availability",
    "1.1 workers live about 14 hours; AWS drains a worker before it expires",
    "1.2 an invocation happens every time Lambda runs the function for an event",
    "1.2 synchronous invocation: an immediate response, APIs and web applications",
    "1.2 synchronous example: API Gateway → Lambda → database → user",
    "1.2 asynchronous invocation: no immediate response, an internal queue",
    "1.2 asynchronous example: a file uploaded to S3 triggers the function",
    "1.2 event source mapping: Lambda polls the source and processes batches",
    "1.2 event source mapping on Kinesis",
    "1.2 event source mapping example: new records in a DynamoDB stream",
    "1.2 the Frontend Service: the entry point of every invocation",
    "1.2 the Frontend routes a synchronous request straight to a microVM",
    "1.2 the Frontend puts an asynchronous request in the internal queue",
    "1.2 the queue keeps the load balanced during spikes",
    "1.3 no server management",
    "1.3 auto-scaling",
    "1.3 high availability",
    "1.3 multiple languages: Python, Node.js, Java, Go",
    "1.3 integrated with SNS",
    "1.3 integrated with Step Functions",
    "1.4 the user uploads a file to S3",
    "1.4 S3 triggers the Lambda function",
    "1.4 Lambda processes the file",
    "1.4 the output is stored in a database or another S3 bucket",
    "1.4 flow: Client → S3 → Lambda → Database / Storage",
    "1.5 web and mobile backend: login, signup, user profile",
    "1.5 web and mobile backend: form submissions",
    "1.5 file and media processing: image thumbnails",
    "1.5 file and media processing: PDF or document processing",
    "1.5 chatbots and AI: a chatbot backend",
    "1.5 chatbots and AI: calling AI models",
    "1.5 database operations: automatically update records",
    "1.5 database operations: validate DB entries",
    "1.5 DevOps: start and stop EC2 instances",
    "1.5 DevOps: auto-tag resources",
    "1.5 DevOps: monitor resource usage",
    "1.5 gaming backends: player authentication",
    "1.5 gaming backends: matchmaking logic",
    "1.5 gaming backends: event rewards",
    "1.5 big data: trigger data pipeline jobs",
    "1.5 big data: generate dashboards",
    "1.5 big data: pre-process data for Athena",
    "1.6 Step 1: create an IAM role",
    "1.6 Step 1: IAM → Roles → Create a role",
    "1.6 Step 1: Choose: Lambda",
    "1.6 Step 1: attach policy AWSLambdaBasicExecutionRole",
    "1.6 Step 1: create the role",
    "1.6 Step 2: create the Lambda function (AWS Lambda → Create function)",
    "1.6 Step 2: Author from scratch",
    "1.6 Step 2: function name myLambdaFunction",
    "1.6 Step 2: runtime Python 3.12 (or Node.js)",
    "1.6 Step 2: role: choose existing role",
    "1.6 Step 3: add the code (lambda_handler returns status 200 and a body)",
    "1.6 Step 4: click Test",
    "1.6 Step 4: create a test event",
    "1.6 Step 4: execute and verify the output",
    "1.6 Step 5: CloudWatch Logs to view logs",
    "1.6 Step 5: metrics Invocations, Errors, Duration",
    "1.7 enable logging and monitoring with CloudWatch",
    "1.7 set memory and timeout properly",
    "1.7 least-privilege IAM roles",
    "1.7 small, focused functions",
]


def coverage_rows() -> list[tuple[str, str, str]]:
    """(course item, notebook file name, heading) for each row of the coverage table."""
    text = INDEX.read_text()
    table = text[text.index("## Coverage of the course notes"):]
    table = table[:table.index("\n## ", 1)]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        link = re.fullmatch(r"\[\d\d\]\(([^)]+\.ipynb)\)", cells[1]) if len(cells) == 3 else None
        if link:
            rows.append((cells[0], link.group(1), cells[2]))
    return rows


def headings(notebook: Path) -> set[str]:
    """The text of every markdown heading of a notebook."""
    cells = json.loads(notebook.read_text())["cells"]
    return {line.lstrip("#").strip() for cell in cells if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines() if line.startswith("#")}


def test_the_table_covers_every_item_of_the_course_notes_once():
    items = [item for item, _, _ in coverage_rows()]
    assert [item for item in COURSE_ITEMS if item not in items] == []
    assert [item for item in items if item not in COURSE_ITEMS] == [], "rows for items the notes do not have"
    assert len(items) == len(set(items)), "an item has two rows"


@pytest.mark.parametrize("lab", sorted({lab for _, lab, _ in coverage_rows()}))
def test_each_row_names_a_heading_of_its_lab(lab):
    assert (LABS / lab).exists(), f"the table links {lab}, which is not a lab"
    missing = [(item, heading) for item, row_lab, heading in coverage_rows()
               if row_lab == lab and heading not in headings(LABS / lab)]
    assert missing == [], f"{lab} has no heading for these rows"
