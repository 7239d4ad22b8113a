"""Schemathesis hooks for fuzzing the sample server (loaded through SCHEMATHESIS_HOOKS by schemathesis.test.ts).

- before_call ends watches at once (timeoutSeconds=-1, as Go's handler reads it: a watch is a
  stream that would otherwise run into the request timeout and read as a hang), and points about
  half of the named requests at objects the suite created beforehand, so that get/update/patch
  reach stored objects instead of answering 404.
- the check ``error_is_a_status`` fails every error response (4xx/5xx) that is not a Kubernetes
  ``Status`` (kind Status, apiVersion v1) whose ``code`` is the HTTP status.
- after_call appends one JSON line per response to $KAPI_FUZZ_LOG, so that the suite can report
  every 5xx and every error that was not a Status (schemathesis folds repeats of one failure).
"""

import json
import os
import zlib

import schemathesis

# Objects the suite creates before the run (see schemathesis.test.ts).
TARGET_NAMESPACE = os.environ.get("KAPI_FUZZ_NAMESPACE", "default")
TARGET_NAME = os.environ.get("KAPI_FUZZ_NAME", "fuzz-target")
LOG_PATH = os.environ.get("KAPI_FUZZ_LOG")


def _is_watch(case) -> bool:
    if "/watch/" in case.operation.path:
        return True
    value = (case.query or {}).get("watch")
    if value is None:
        return False
    # Go's query conversion (runtime.Convert_Slice_string_To_bool): only "0" and "false" are false.
    if isinstance(value, list):
        if not value:
            return False
        value = value[0]
    text = str(value)
    return not (text == "0" or text.lower() == "false")


def _keeps_watch_open(value) -> bool:
    """Whether the server would parse this timeoutSeconds as a watch that stays open.

    Missing and 0 mean the default (Go: minRequestTimeout x [1, 2)), a positive value that many
    seconds; a negative one ends the watch at once, and a malformed one must fail fast (400), so
    those two are sent as generated.
    """
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, list):
        if not value:
            return True
        value = value[0]
    try:
        return int(str(value).strip()) >= 0
    except ValueError:
        return False


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if _is_watch(case):
        if case.query is None:
            case.query = {}
        if _keeps_watch_open(case.query.get("timeoutSeconds")):
            case.query["timeoutSeconds"] = "-1"
    params = case.path_parameters
    if params and "name" in params and case.method.upper() != "DELETE":
        # Deterministic per case: the same generated case always goes to the same object.
        if zlib.crc32(repr(sorted((k, str(v)) for k, v in params.items())).encode()) % 2 == 0:
            params["name"] = TARGET_NAME
            if "namespace" in params:
                params["namespace"] = TARGET_NAMESPACE


def _status_problem(response):
    """Why an error response is not a Kubernetes Status, or None when it is one."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return "the body is not JSON"
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if body.get("kind") != "Status" or body.get("apiVersion") != "v1":
        return f"kind {body.get('kind')!r}, apiVersion {body.get('apiVersion')!r}"
    if body.get("code") != response.status_code:
        return f"code {body.get('code')!r} differs from the HTTP status"
    return None


@schemathesis.check
def error_is_a_status(ctx, response, case):
    """Every 4xx/5xx answer is a Kubernetes Status (kind Status, apiVersion v1, code = HTTP status)."""
    if response.status_code < 400:
        return None
    problem = _status_problem(response)
    if problem is not None:
        raise AssertionError(
            f"{response.status_code} is not a Kubernetes Status ({problem}): {response.content[:300]!r}"
        )
    return None


@schemathesis.hook
def after_call(ctx, case, response):
    if not LOG_PATH:
        return
    request = response.request
    entry = {
        "status": response.status_code,
        "method": request.method,
        "url": request.url,
        "ms": round(response.elapsed * 1000, 1),
    }
    if response.status_code >= 400:
        problem = _status_problem(response)
        if problem is not None:
            entry["notStatus"] = problem
    if response.status_code >= 500 or "notStatus" in entry:
        entry["headers"] = {k: v for k, v in request.headers.items() if k.lower() not in ("authorization",)}
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "backslashreplace")
        entry["body"] = body[:2000] if isinstance(body, str) else None
        entry["response"] = response.content[:1000].decode("utf-8", "backslashreplace")
    with open(LOG_PATH, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")
