"""What the planner knows beyond the tools' own metadata: a little English.

Tools bring their names, parameter schemas, descriptions and example phrasings;
this file adds what no single tool can say: synonyms of resource kinds, the
verbs that make a request destructive, cue words for numbers, the phrasings of
greetings and of requests that are out of scope, and a few extra phrasings for
today's tools (a new tool works without any of them).
"""

from __future__ import annotations

# Nouns that name a plugin's resources, beyond the plugin name itself ("models" -> model).
KIND_NOUNS: dict[str, tuple[str, ...]] = {
    "compute": ("compute", "cluster", "clusters", "instance", "vm", "vms", "machine", "machines", "target", "amlcompute",
                "pool", "pools"),
    "data": ("data", "dataset", "datasets", "asset", "assets", "table"),
    "models": ("model", "models"),
    "environments": ("environment", "environments", "env", "envs"),
    "components": ("component", "components", "step", "steps"),
    "datastores": ("datastore", "datastores", "storage", "container", "store"),
    "access": ("role", "roles", "access", "permission", "permissions", "people", "users"),
    "jobs": ("job", "jobs", "runs"),  # "run" is a verb far more often
    "workspace": ("workspace", "stuff", "everything", "things", "overview"),
}
# Kinds a request may leave unnamed when the workspace holds exactly one ("send 10% of traffic to green").
SOLE_RESOURCE_KINDS = frozenset({"online_endpoints", "batch_endpoints"})
# Parameters that name an endpoint-area resource, by the tool's family (online_*, batch_*).
SCOPED_PARAMS = {"endpoint_name": "{family}_endpoints", "deployment_name": "{family}_deployments"}

# Resource kinds that are people, not workspace objects: their names come from role assignments.
PRINCIPAL_PARAMS = ("principal", "user", "assignee")

# Words that make a request destructive, said plainly; the tool's own function name counts too.
# "take" and "get" alone don't ("take a look"): only "take away" / "get rid of" do.
DESTRUCTIVE_VERBS = frozenset({
    "delete", "remove", "revoke", "drop", "destroy", "unregister", "erase", "purge", "kill", "deprovision",
    "decommission", "wipe", "nuke",
})
DESTRUCTIVE_PHRASES = ("take away", "get rid", "tear down", "take off")
# Hints, not requests: "bob should no longer be an owner", "I don't need x anymore". The planner
# then says how to ask for the deletion; it never proposes one on a hint.
DELETION_HINTS = (r"\bno longer\b", r"n't\b.*\b(anymore|any more)\b", r"\bnot\b.*\b(anymore|any more)\b")

# Verbs that start a new request when a sentence goes on after "and" / "then".
ACTION_VERBS = frozenset({
    "create", "make", "add", "register", "upload", "set", "setup", "build", "new", "scale", "resize", "update",
    "change", "raise", "lower", "increase", "decrease", "delete", "remove", "drop", "archive", "restore", "unarchive",
    "show", "list", "get", "describe", "display", "tell", "give", "grant", "revoke", "start", "stop", "run", "submit",
    "download", "fetch", "preview", "peek", "check", "undo", "revert", "deploy", "score", "invoke", "cancel", "send",
    "move", "roll", "retire", "hide", "publish", "let", "allow", "who", "what", "which", "train", "tear", "turn",
    "boot", "shut", "pause", "resume", "schedule", "compare", "put", "kill", "provision", "spin", "bump", "attach",
    "connect", "rotate", "bring", "save", "hide", "wake", "power", "unregister", "forget", "rename", "switch", "able",
})
CREATE_VERBS = frozenset({"register", "create", "upload", "save", "add", "publish", "make", "new"})
YES_WORDS = frozenset({"yes", "yep", "yeah", "y", "sure", "ok", "okay", "please", "correct", "right", "exactly", "do"})
CANCEL_WORDS = frozenset({"cancel", "nevermind", "never", "forget", "abort", "stop", "no", "nope", "nothing"})

# "as before", "as well": words after "as" that are not a name being given.
NOT_NAMES_AFTER_AS = frozenset({"before", "well", "usual", "needed", "planned", "expected", "default", "always",
                                "soon", "such", "much", "many", "long", "good", "possible", "discussed", "agreed",
                                "mltable", "uri_file", "uri_folder", "version", "new", "is", "above", "below"})

# Cues that say which end of a range a number is.
MAX_CUES = ("up to", "upto", "at most", "max", "maximum", "no more than", "scale out to", "go up to", "limit")
MIN_CUES = ("at least", "min", "minimum", "keep", "warm", "no fewer than", "never below")
UNIT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "instance": ("node", "nodes", "instance", "instances", "vm", "vms", "machine", "machines", "worker", "workers", "replica", "replicas"),
    "row": ("row", "rows", "line", "lines", "record", "records"),
    "fold": ("fold", "folds", "cv", "cross"),
    "trial": ("trial", "trials", "iteration", "iterations"),
}
DURATION_UNITS: dict[str, int] = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}

# Enum values people say differently; the key is the value, the synonyms are phrases.
ENUM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "low_priority": ("low priority", "low-priority", "spot", "preemptible", "cheap"),
    "dedicated": ("dedicated", "on demand", "on-demand"),
    "AzureML Data Scientist": ("data scientist",),
    "AzureML Compute Operator": ("compute operator", "manage compute", "compute admin"),
    "Reader": ("reader", "read only", "read-only", "read"),
    "Owner": ("owner", "admin", "administrator"),
    "Contributor": ("contributor", "contribute"),
    "instance": ("compute instance", "notebook vm", "instance called", "instance named"),
    "aml_token": ("token auth", "aml token", "token based", "tokens"),
    "key": ("key auth", "key based", "static keys"),
}
# Words an enum value is often spelt with that carry no information ("Standard_", "AzureML ").
ENUM_NOISE = frozenset({"standard", "azureml", "uri"})

# Where a create tool may take a sensible name when the user gives none: the
# first rule whose word appears in the request wins; a taken name gets -2, -3, ...
DEFAULT_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    # only when the request says which ("a cpu cluster"); "a new cluster for batch scoring" is asked about
    "compute-create": (("gpu", "gpu-cluster"), ("cpu", "cpu-cluster")),
}
NO_DEFAULT_NAME_WHEN = {"compute-create": ("instance",)}  # a compute instance is personal: ask for its name

# Question openers: a question asks to read, an order may change things.
QUESTION_WORDS = frozenset({"what", "which", "who", "whom", "whose", "how", "where", "when", "why", "is", "are", "do",
                            "does", "did", "can", "could", "any", "has", "have"})

LATEST_WORDS = frozenset({"last", "latest", "newest", "recent", "previous"})
PEOPLE_WORDS = frozenset({"who", "whom", "whose", "anyone", "anybody", "someone", "somebody", "everyone", "nobody"})
WH_WORDS = frozenset({"what", "which", "who", "whom", "whose", "how", "where", "when", "why"})
# Words read as another before matching ("every version" is "all versions").
WORD_SYNONYMS = {"every": "all", "each": "all", "gimme": "give", "pls": "please", "plz": "please", "u": "you"}


# Azure actions for verbs no tool covers yet (access-check answers "who can deploy here?").
ACTION_WORDS: dict[str, str] = {
    "deploy": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
    "score": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action",
    "train": "Microsoft.MachineLearningServices/workspaces/jobs/write",
    "submit": "Microsoft.MachineLearningServices/workspaces/jobs/write",
    "grant": "Microsoft.Authorization/roleAssignments/write",
}

# Tools whose first example the capability list offers as "Try ..." (others' when these are absent).
SHOWCASE = ("workspace-summary", "compute-create", "data-create", "access-check")

# Pseudo-intents: answered with text, never a tool call.
GREETING, HELP, THANKS, OTHER = "_greeting", "_help", "_thanks", "_other"
PSEUDO_INTENTS: dict[str, tuple[str, ...]] = {
    GREETING: ("hi", "hello", "hey there", "good morning", "hiya", "yo", "hello there"),
    HELP: ("help", "what can you do?", "what can you do for me", "how do I use this?", "what are your capabilities",
           "show me what you can do", "what commands are there", "how does this work?"),
    THANKS: ("thanks", "thank you", "great, thanks", "cheers", "perfect", "nice one"),
    OTHER: ("summarise the plot of a novel", "summarize this article for me", "what's the weather", "what is the weather like today", "tell me a joke", "who won the game last night",
            "book a flight to paris", "write me a poem", "what time is it", "translate this to french",
            "what's the capital of france", "order a pizza", "play some music", "how are you", "what's the news",
            "recommend a movie", "solve this equation", "what is the meaning of life", "send an email to my boss"),
}

# Extra phrasings for today's tools, written the way people type (terse, Azure terms).
EXTRA_EXAMPLES: dict[str, tuple[str, ...]] = {
    "workspace-summary": ("is there anything set up in this workspace yet?", "is the workspace empty?", "overview of the workspace", "what's here", "workspace info", "status of my workspace"),
    "compute-list": ("list compute targets", "my computes", "what clusters are there", "which vms do i have"),
    "compute-get": ("tell me about cpu-cluster", "describe cluster cpu-cluster", "how many nodes does cpu-cluster have", "state of ci-alice",
                    "info on cpu-cluster"),
    "compute-create": ("new amlcompute cluster",
                       "provision a gpu cluster", "spin up a cluster", "create a compute instance called ci-bob",
                       "I need a new cluster for scoring jobs"),
    "compute-update": ("give cpu-cluster more nodes", "add more nodes to gpu-cluster", "resize cpu-cluster to 6 nodes", "change max nodes of cpu-cluster to 3", "scale out gpu-cluster",
                       "set min nodes on cpu-cluster to 1", "increase cpu-cluster to 8 nodes"),
    "compute-delete": ("delete compute cpu-cluster", "remove cluster gpu-cluster", "destroy cpu-cluster"),
    "compute-start": ("power on ci-alice", "resume my compute instance", "switch ci-alice back on"),
    "compute-stop": ("power off ci-alice", "shut down my compute instance", "switch ci-alice off"),
    "datastores-list": ("list storage", "what storage is connected"),
    "datastores-create_blob": ("attach blob container raw from account mystorage",),
    "datastores-delete": ("delete datastore rawdata", "remove the datastore trainingblobs"),
    "data-list": ("list datasets", "show data assets", "what datasets are registered"),
    "data-get": ("tell me about the diabetes data", "describe data asset diabetes", "info on dataset diabetes", "where is the diabetes dataset stored"),
    "data-create": ("register ./data as my-data", "register a data asset from ./data", "upload ./data/x.csv as a dataset",
                    "register the folder ../shared/data/diabetes as diabetes"),
    "data-archive": ("archive version 1 of diabetes", "archive dataset diabetes"),
    "data-restore": ("unarchive dataset diabetes", "restore version 1 of diabetes"),
    "data-preview_rows": ("show the first 5 rows of diabetes", "sample rows of the diabetes dataset", "columns of diabetes"),
    "environments-list": ("list envs", "what environments exist", "show docker environments"),
    "environments-create": ("create env train-env from conda.yml", "new environment from a conda file"),
    "components-list": ("show components", "list pipeline components"),
    "components-create": ("register component from ./train.yml", "create component from yaml train.yml"),
    "models-list": ("show models", "list my models", "what models are registered", "which models exist"),
    "models-get": ("tell me about model diabetes-model", "describe model diabetes-model", "info on model diabetes-model"),
    "models-create": ("register a model from ./model",
                      "register model files in ./out", "register the mlflow model in ./model"),
    "models-archive": ("archive version 1 of diabetes-model", "archive model diabetes-model"),
    "models-restore": ("unarchive model diabetes-model", "restore model diabetes-model version 1"),
    "models-download": ("download model diabetes-model to ./m", "download the model files"),
    "access-list": ("what can alice do?", "what roles does bob have", "who has which role", "show role assignments",
                    "list permissions"),
    "access-grant": ("carol needs to be able to read data", "frank should be able to manage compute",
                     "give the new hire read access", "give alice owner", "assign the contributor role to carol", "add bob as reader"),
    "access-revoke": ("revoke reader from alice", "remove bob's contributor role", "remove owner role from dave"),
    "access-check": ("who is allowed to create clusters", "who can register models",
                     "which roles can delete compute", "who can train models here"),
    "jobs-get": ("did my job finish?", "has the training job finished yet", "did the job succeed?", "is nightly-train done"),
    "automl-create": ("kick off automl on my data", "start an automl classification run"),
    "online_endpoints-update_traffic": ("move everything to green", "send all traffic to blue", "switch traffic back to blue",
                                        "promote green to 100%", "put 20% of requests on green", "route 50 percent to green"),
    "online_endpoints-invoke": ("test credit-ep with sample.json", "send request.json to the endpoint"),
    "online_deployments-get_logs": ("logs of blue on credit-ep", "show the deployment logs of green", "deployment log for blue"),
    "batch_endpoints-invoke": ("score ./incoming with the batch endpoint", "run batch scoring on ./new-data",
                               "score the files in the folder new-data"),
    "session-undo": ("undo", "undo the last change", "revert that", "undo it", "revert my last change",
                     "I still need that, put it back"),
}

# Plain English words that are never resource names (the vocabulary adds the
# tools' own description words); anything else may be a name.
COMMON_WORDS = frozenset("""
what which who whom whose where when why how show list get see find give tell display describe view look peek
create make add new register upload set up setup build provision spin delete remove drop destroy tear down rid
scale resize update change raise lower increase decrease start stop turn on off boot shut pause resume wake
archive restore unarchive retire hide bring back download fetch save copy preview head sample first last latest
newest oldest best top every all any some none only own mine my our old new current existing default other
another more less most least many much few big small large size sizes version versions type types kind name
names called named call as with without from into onto to in of for on at by up out about this that these those
it them its their there here now then next previous please thanks thank hi hello hey yes no not don't do does did
done can could would should will may might must need want like let allow permit anyone someone everyone nobody
user users people person role roles access permission permissions owner owners reader readers contributor
contributors scientist operator admin assign grant revoke check cpu gpu low priority dedicated node nodes
instance instances cluster clusters compute computes machine machines vm vms target targets workspace overview
summary summarise summarize data dataset datasets asset assets table tables file files folder folders path local
model models environment environments env envs image images docker conda component components step steps pipeline
datastore datastores storage container account key token blob job jobs run runs experiment experiments endpoint
endpoints deployment deployments traffic status state running stopped warm idle zero minutes minute seconds hours
rows row columns column again also just really quickly anymore longer manage read write deploy score train
training inference copy link details info information under between than and or but so if else first second
undo revert cancel never mind forget is are was were be been being have has had having am i me you your we us
they he she him her his called named labelled tagged tag tags description mltable uri mlflow custom registered
archived curated available exist exists existing currently right straight today tomorrow yesterday time
after before attach authenticate away besides connect defined night package packages power registration rotate
scoring server using work everything everyone anything nothing something else inside outside across
""".split())
