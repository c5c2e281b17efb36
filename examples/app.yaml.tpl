# Rendered with: secretmask render examples/app.yaml.tpl --config examples/secretmask.yaml
jira:
  user: {{workato:sm:prod.jira.user:arn:aws:secretsmanager:us-east-1:137149879143:secret:prod-jira-credentials-FsmeTs}}
  token: "{{workato:sm:prod.jira.secret.key:arn:aws:secretsmanager:us-east-1:137149879143:secret:prod-jira-credentials-FsmeTs}}"
database:
  url: "postgres://<<workato:sm:username:arn:aws:secretsmanager:eu-west-1:137149879143:secret:orders-db-Ab12Cd>>@db.internal:5432/orders"
  password: '<<workato:sm:password:arn:aws:secretsmanager:eu-west-1:137149879143:secret:orders-db-Ab12Cd>>'
  port: {{workato:sm:port:arn:aws:secretsmanager:eu-west-1:137149879143:secret:orders-db-Ab12Cd}}
apono:
  role_id: <<workato:vault:role_id:kv/apono/approle>>
  secret_id: "{{workato:vault:secret_id:kv/apono/approle}}"
mysql:
  username: <<workato:akv:username:https://corp-kv.vault.azure.net/secrets/apono-mysql-user>>
  password: "<<workato:akv:password:https://corp-kv.vault.azure.net/secrets/apono-mysql-user>>"
notify: '{{workato:akv::https://corp-kv.vault.azure.net/secrets/webhook-url}}'
tls:
  cert: |
    {{workato:vault:cert:kv/apps/tls}}
