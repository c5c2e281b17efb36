{
  "jira": {
    "user": "{{workato:sm:prod.jira.user:arn:aws:secretsmanager:us-east-1:137149879143:secret:prod-jira-credentials-FsmeTs}}",
    "token": "{{workato:sm:prod.jira.secret.key:arn:aws:secretsmanager:us-east-1:137149879143:secret:prod-jira-credentials-FsmeTs}}"
  },
  "database": {
    "password": "<<workato:sm:password:arn:aws:secretsmanager:eu-west-1:137149879143:secret:orders-db-Ab12Cd>>",
    "port": {{workato:sm:port:arn:aws:secretsmanager:eu-west-1:137149879143:secret:orders-db-Ab12Cd}}
  },
  "tls_cert": "{{workato:vault:cert:kv/apps/tls}}"
}
