"""The yardstick: a minimal Flask app, one route rendering a small template.

Served by ``run.py`` with exactly the wiki's gunicorn settings; every throughput is printed as
a ratio to this app's, measured in the same run on the same machine.
"""

from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent / "templates"))


@app.get("/")
def index():
    return render_template("minimal.html", title="Définition vivante",
                           items=["processus", "adaptation", "environnement", "économie"])
