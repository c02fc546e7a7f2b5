"""Mixed clerk and manager traffic for the scale-out benchmark (tests/bench/test_scale_out_bench.py).

Clerks post receipts (some submitted twice, as a double click would) and browse stock and the ledger;
managers read reports and the dashboard, preview a count import on app server A and confirm it on B,
and start background exports. Run by the benchmark through `locust --headless`; SCALE_* variables say
where things are.
"""

import json
import os
import random
import re
import uuid

from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_key" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')
PRODUCTS = json.loads(os.environ.get("SCALE_PRODUCTS", "[]"))
SKUS = json.loads(os.environ.get("SCALE_SKUS", "[]"))
MAIN = os.environ.get("SCALE_MAIN", "1")
ONLY_A = os.environ.get("SCALE_ONLY_A", "")
ONLY_B = os.environ.get("SCALE_ONLY_B", "")


def stale_preview_or_applied(response) -> str | None:
    """A confirm applies (302), or, when another manager counted the same products since, shows a new preview."""
    if response.status_code == 200 and "changed since the preview" not in response.text:
        return "import confirm (B): HTTP 200 without the stale-preview message"
    return None


class StockroomUser(HttpUser):
    abstract = True
    wait_time = between(0.1, 0.5)
    username = password = ""

    def on_start(self):
        self.client.verify = False  # the balancer's self-signed certificate
        self.sign_in()

    def form(self, url: str, name: str) -> str:
        response = self.client.get(url, name=name)
        return response.text

    def post(self, url: str, data: dict, name: str, page: str, files=None, expect=(302,), check=None):
        """POST a form with its CSRF token; a status not in `expect`, or what `check` objects to, fails it."""
        data = {**data, "csrfmiddlewaretoken": CSRF.search(page).group(1)}
        base = url.split("/admin/")[0] if url.startswith("https://") else self.host
        headers = {"Referer": f"{base}/admin/"}
        with self.client.post(
            url, data=data, files=files, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code not in expect:
                response.failure(f"{name}: HTTP {response.status_code}")
            elif check is not None and (problem := check(response)):
                response.failure(problem)
            return response

    def sign_in(self):
        page = self.form("/admin/login/", "sign-in page")
        self.post(
            "/admin/login/", {"username": self.username, "password": self.password, "next": "/admin/"}, "sign in", page
        )


class Clerk(StockroomUser):
    weight = 3
    username, password = "clerk", "stockroom-clerk"

    def receipt(self, name: str, times: int = 1):
        page = self.form("/admin/inventory/stockmovement/post/", "posting form")
        key = SUBMISSION.search(page).group(1)
        data = {
            "kind": "receipt",
            "product": random.choice(PRODUCTS),
            "warehouse": MAIN,
            "quantity": random.randint(1, 5),
            "unit_cost": "2.50",
            "reference": f"LOCUST-{uuid.uuid4().hex[:12]}",
            "submission_key": key,
        }
        for _ in range(times):
            self.post("/admin/inventory/stockmovement/post/", data, name, page)

    @task(4)
    def post_a_receipt(self):
        self.receipt("post a receipt")

    @task(1)
    def post_a_receipt_twice(self):
        self.receipt("post a receipt twice (double click)", times=2)

    @task(3)
    def stock_levels(self):
        self.client.get("/admin/inventory/stocklevel/", name="stock levels")

    @task(3)
    def ledger(self):
        self.client.get("/admin/inventory/stockmovement/", name="movements ledger")

    @task(1)
    def search(self):
        self.client.get(f"/admin/inventory/stocklevel/?q={random.choice(SKUS)}", name="stock levels, search")


class Manager(StockroomUser):
    weight = 1
    username, password = "manager", "stockroom-manager"

    @task(3)
    def reports(self):
        self.client.get("/admin/", name="dashboard")
        self.client.get("/admin/reports/stock-on-hand/", name="stock on hand")
        self.client.get("/admin/reports/valuation/", name="valuation")

    @task(1)
    def count_import_previewed_on_a_confirmed_on_b(self):
        url = "/admin/inventory/stocklevel/import/"
        page = self.form(f"{ONLY_A}{url}", "import page (A)")
        sheet = "sku,warehouse,counted\n" + "".join(f"{sku},MAIN,{random.randint(50, 90)}\n" for sku in SKUS[:3])
        preview = self.post(
            f"{ONLY_A}{url}",
            {"format": "", "delimiter": "", "decimal": ""},
            "import preview (A)",
            page,
            files={"file": ("counts.csv", sheet.encode(), "text/csv")},
            expect=(200,),
            check=lambda response: None if TOKEN.search(response.text) else "the preview offered nothing to confirm",
        )
        token = TOKEN.search(preview.text)
        if token is None:
            return
        self.post(
            f"{ONLY_B}{url}",
            {"token": token.group(1)},
            "import confirm (B)",
            preview.text,
            expect=(302, 200),
            check=stale_preview_or_applied,
        )

    @task(1)
    def background_export(self):
        url = "/admin/reports/stock-on-hand/?export=csv"
        with self.client.get(url, name="background export", allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302 or "/datajob/" not in response.headers.get("Location", ""):
                response.failure(f"the export did not become a background job: HTTP {response.status_code}")
